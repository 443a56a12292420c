import { ProviderError } from '../provider-error.js';

/** One message of a chat prompt, in the order the model reads them. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A retrieved knowledge passage the answer may draw on (the knowledge subgraph's search hit). */
export interface ChatPassage {
  /** The citation id (a knowledge chunk id). */
  id: string;
  text: string;
  /** The source document's title, when known. */
  title?: string | undefined;
  /** Found by a multi-hop search: which hop (0 for the first) and the sub-question it searched for. */
  hop?: number | undefined;
  query?: string | undefined;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

/** What a stream yields: text as it is generated, then (once, at the end) the token usage. */
export type ChatChunk = { delta: string } | { usage: ChatUsage };

export interface ChatStreamOptions {
  /** Aborting stops the provider request; the stream then ends without error. */
  signal?: AbortSignal | undefined;
  /**
   * The passages the prompt was grounded in. The OpenAI-compatible provider reads them from the
   * prompt the caller built; the embedded provider composes its answer from them.
   */
  passages?: readonly ChatPassage[] | undefined;
  /**
   * The start of the assistant's reply, already delivered (another generator wrote it before it
   * stopped): the provider continues after it and yields only the rest, or throws a
   * ChatProviderError when it cannot continue that text.
   */
  continuation?: string | undefined;
}

/** A chat model behind one interface, whichever server (or none) is underneath. */
export interface ChatProvider {
  /** Reported with usage, e.g. `gpt-4o-mini` or `embedded-extractive`. */
  readonly model: string;
  stream(messages: readonly ChatMessage[], options?: ChatStreamOptions): AsyncIterable<ChatChunk>;
}

/** The provider could not answer: unreachable, an error status, a broken stream. */
export class ChatProviderError extends ProviderError {
  // Spelled out: bundling may rename classes, and logs name the error by this.
  override name = 'ChatProviderError';
}

/** A rough count for providers that report none (about four characters a token in English). */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  // A few tokens of framing per message, as chat formats add.
  return messages.reduce((sum, message) => sum + estimateTokens(message.content) + 4, 0);
}

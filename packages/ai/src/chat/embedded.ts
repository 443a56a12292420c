import { setTimeout as sleep } from 'node:timers/promises';
import { ChatProviderError, estimatePromptTokens, estimateTokens, type ChatChunk, type ChatMessage, type ChatPassage, type ChatProvider, type ChatStreamOptions } from './provider.js';

export const EMBEDDED_CHAT_MODEL = 'embedded-extractive';

/** Said when there is nothing to draw on: the embedded provider never makes anything up. */
export const NO_KNOWLEDGE_ANSWER =
  'I have no knowledge source to draw on for this, so I cannot give you a grounded answer. ' +
  'Add documents to the knowledge base, or connect a language model, and ask again.';

const NO_MATCH_PREFIX = 'I found nothing in the knowledge base that answers this directly. The closest passage says:';
const ANSWER_PREFIX = 'From the knowledge base:';
const MAX_SENTENCES = 3;

const STOP_WORDS = new Set(
  'a an and are as at be but by can could did do does for from had has have how i if in into is it its may me my of on or our should so than that the their them then there these they this to was we were what when where which who why will with would you your about after before tell please'.split(' '),
);

function terms(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((word) => word.length > 1 && !STOP_WORDS.has(word)));
}

function sentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<=[.!?])\s+(?=[\p{Lu}\p{N}"'(])/u)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The answer the embedded provider gives: the passage sentences that share the most words with
 * the question, in passage order, each marked with its passage number ([1] is the first
 * passage). Deterministic: the same question and passages always give the same answer.
 */
export function composeExtractiveAnswer(question: string, passages: readonly ChatPassage[]): string {
  if (passages.length === 0) return NO_KNOWLEDGE_ANSWER;
  const wanted = terms(question);
  const candidates = passages.flatMap((passage, p) =>
    sentences(passage.text).map((sentence, s) => {
      const words = terms(sentence);
      let score = 0;
      for (const word of wanted) if (words.has(word)) score += 1;
      return { sentence, p, s, score };
    }),
  );
  if (candidates.length === 0) return NO_KNOWLEDGE_ANSWER;
  const ranked = candidates
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || a.p - b.p || a.s - b.s)
    .slice(0, MAX_SENTENCES)
    .sort((a, b) => a.p - b.p || a.s - b.s);
  if (ranked.length === 0) {
    const first = candidates[0]!;
    return `${NO_MATCH_PREFIX} ${first.sentence} [${first.p + 1}]`;
  }
  return `${ANSWER_PREFIX} ${ranked.map((c) => `${c.sentence} [${c.p + 1}]`).join(' ')}`;
}

/** Word-sized pieces, each with the space before it, so joining them gives the text back. */
export function splitIntoTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

export interface EmbeddedChatOptions {
  /** Pause before each token, so streaming is observable (0 for none). */
  tokenDelayMs?: number;
}

/**
 * The provider that needs no network: an extractive answer composed from the retrieved
 * passages (or an honest statement that there are none), streamed token by token.
 */
export function createEmbeddedChatProvider({ tokenDelayMs = 20 }: EmbeddedChatOptions = {}): ChatProvider {
  return {
    model: EMBEDDED_CHAT_MODEL,
    async *stream(messages: readonly ChatMessage[], options: ChatStreamOptions = {}): AsyncGenerator<ChatChunk> {
      const { signal, continuation = '' } = options;
      const question = messages.findLast((m) => m.role === 'user')?.content ?? '';
      const answer = composeExtractiveAnswer(question, options.passages ?? []);
      // Deterministic, so a reply another generator started continues exactly where it stopped;
      // a text this answer does not start with cannot be continued.
      if (!answer.startsWith(continuation)) throw new ChatProviderError('The embedded provider cannot continue this reply');
      const tokens = splitIntoTokens(answer.slice(continuation.length));
      for (const token of tokens) {
        if (tokenDelayMs > 0) {
          try {
            await sleep(tokenDelayMs, undefined, { signal });
          } catch {
            return;
          }
        }
        if (signal?.aborted) return;
        yield { delta: token };
      }
      const passageText = (options.passages ?? []).map((p) => p.text).join('\n');
      yield {
        usage: {
          promptTokens: estimatePromptTokens(messages) + Math.ceil(passageText.length / 4) + estimateTokens(continuation),
          completionTokens: tokens.length,
        },
      };
    },
  };
}

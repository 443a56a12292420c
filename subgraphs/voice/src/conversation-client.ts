import { GraphQLError } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { providerUnavailable } from '@voiceassist/errors';
import type { Logger } from '@voiceassist/logging';

/** What voice asks of the conversation subgraph, always as the caller (their token, their request id). */
export interface Caller {
  authorization: string | undefined;
  requestId: string;
  logger: Logger;
}

export interface SentTurn {
  userMessageId: string;
  assistantMessageId: string;
}

/** One event of a reply's token stream. */
export interface ReplyToken {
  index: number;
  delta: string;
  done: boolean;
}

export interface ConversationClient {
  /** `sendMessage` as the caller; conversation's refusals (NOT_FOUND, BUDGET_EXCEEDED, ...) come back as they are. */
  sendMessage(caller: Caller, input: { conversationId: string; content: string; useKnowledge: boolean }): Promise<SentTurn>;
  /** The reply's tokens from the first, as conversation's `messageStream` gives them, until `done`. */
  replyTokens(caller: Caller, messageId: string): AsyncGenerator<ReplyToken>;
}

const SEND = `mutation VoiceAsk($conversationId: ID!, $content: String!, $useKnowledge: Boolean) {
  sendMessage(conversationId: $conversationId, content: $content, useKnowledge: $useKnowledge) { userMessage { id } assistantMessage { id } }
}`;
const STREAM = 'subscription VoiceReplyTokens($messageId: ID!) { messageStream(messageId: $messageId) { index delta done } }';

interface FormattedError {
  message?: string;
  extensions?: Record<string, unknown>;
}

/** A refusal from conversation, passed on with its code; an argument it names is ours to name. */
function passOn(error: FormattedError, fieldNames: Record<string, string>): GraphQLError {
  const extensions = { ...(error.extensions ?? {}) };
  if (typeof extensions.field === 'string') extensions.field = fieldNames[extensions.field] ?? extensions.field;
  delete extensions.serviceName;
  return new GraphQLError(error.message ?? 'The conversation service refused the request', { extensions });
}

/** A GraphQL request to the conversation subgraph on the caller's behalf; the parsed JSON body. */
export async function postToConversation(url: string, caller: Pick<Caller, 'authorization' | 'requestId'>, request: { query: string; variables: Record<string, unknown> }, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      'x-request-id': caller.requestId,
      ...(caller.authorization ? { authorization: caller.authorization } : {}),
    },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return response.json();
}

export function createConversationClient({ conversationUrl, timeoutMs = 15_000 }: { conversationUrl: string; timeoutMs?: number }): ConversationClient {
  const wsUrl = conversationUrl.replace(/^http/, 'ws');
  const unavailable = () => providerUnavailable('The conversation service is unavailable; try again shortly');

  return {
    async sendMessage(caller, input) {
      let body: { data?: { sendMessage?: { userMessage: { id: string }; assistantMessage: { id: string } } | null } | null; errors?: FormattedError[] };
      try {
        body = (await postToConversation(conversationUrl, caller, { query: SEND, variables: input }, timeoutMs)) as typeof body;
      } catch (error) {
        caller.logger.error({ err: { name: (error as Error).name } }, 'conversation subgraph unreachable for a spoken turn');
        throw unavailable();
      }
      const sent = body.data?.sendMessage;
      if (!sent) throw body.errors?.[0] ? passOn(body.errors[0], { content: 'audio' }) : unavailable();
      return { userMessageId: sent.userMessage.id, assistantMessageId: sent.assistantMessage.id };
    },

    async *replyTokens(caller, messageId) {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { ...(caller.authorization ? { authorization: caller.authorization } : {}), 'x-request-id': caller.requestId },
        retryAttempts: 0,
        lazy: true,
      });
      const iterator = client.iterate<{ messageStream: ReplyToken }>({ query: STREAM, variables: { messageId } });
      try {
        for await (const result of iterator) {
          const error = (result.errors as FormattedError[] | undefined)?.[0];
          if (error) throw passOn(error, {});
          const event = result.data?.messageStream;
          if (!event) continue;
          yield event;
          if (event.done) return;
        }
      } catch (error) {
        if (error instanceof GraphQLError) throw error;
        caller.logger.error({ err: { name: (error as Error)?.name } }, 'conversation token stream failed');
        throw unavailable();
      } finally {
        await iterator.return?.();
        await client.dispose();
      }
    },
  };
}

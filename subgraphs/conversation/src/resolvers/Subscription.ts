import { continueEventTrace } from '@voiceassist/subgraph-server';
import { viewerOf, type ConversationContext, type ConversationServices } from '../context.js';
import type { OwnedMessage } from '../conversations.js';
import { scrubError } from '../scrub.js';
import { generationError } from './Message.js';
import { ownedMessage } from './access.js';
import type { SubscriptionResolvers } from './resolvers-types.js';
import type { MessageStreamEvent } from './mappers.js';

async function finalEvent(services: ConversationServices, messageId: string, index: number, trace?: string): Promise<MessageStreamEvent> {
  const [message] = await services.store.messagesByIds([messageId]);
  return { messageId, index, delta: '', done: true, message: message ?? null, error: message ? generationError(message) : null, ...(trace ? { trace } : {}) };
}

/**
 * A reply's events: from its token log while it streams (and for a while after), from the
 * database once the log has expired.
 */
async function* replyEvents(services: ConversationServices, message: OwnedMessage, afterIndex: number): AsyncGenerator<MessageStreamEvent> {
  const { store, tokenLog } = services;
  if (message.status !== 'STREAMING' && !(await tokenLog.exists(message.id))) {
    // Ended long enough ago that its log is gone: the whole text as one delta, then the end.
    let index = 0;
    if (afterIndex < 0 && message.content) yield { messageId: message.id, index: index++, delta: message.content, done: false, message: null, error: null };
    yield await finalEvent(services, message.id, Math.max(index, afterIndex + 1));
    return;
  }
  let last = afterIndex;
  const entries = tokenLog.follow(message.id, afterIndex, {
    stillStreaming: async () => {
      const [row] = await store.messagesByIds([message.id]);
      return row?.status === 'STREAMING';
    },
  });
  for await (const entry of entries) {
    last = entry.index;
    if (entry.done) {
      yield await finalEvent(services, message.id, entry.index, entry.trace);
      return;
    }
    yield { messageId: message.id, index: entry.index, delta: entry.delta, done: false, message: null, error: null, ...(entry.trace ? { trace: entry.trace } : {}) };
  }
  // The log ended without its end (deleted, or its writer died): close with what is stored.
  yield await finalEvent(services, message.id, last + 1);
}

/** Errors inside the stream reach graphql-ws's error message: database ones go without their parameters. */
async function* scrubbedStream<T>(events: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* events;
  } catch (error) {
    throw scrubError(error);
  }
}

export const Subscription = {
  messageStream: {
    // Checks run before the stream starts, so refusals arrive as errors, not as a broken stream.
    subscribe: async (_, args, ctx) => {
      viewerOf(ctx);
      const message = await ownedMessage(ctx, args.messageId);
      return scrubbedStream(replyEvents(ctx.services, message, Math.max(-1, args.afterIndex ?? -1)));
    },
    resolve: (event: MessageStreamEvent, _args: unknown, ctx: ConversationContext) => {
      continueEventTrace(ctx, event.trace);
      return event;
    },
  },
} satisfies SubscriptionResolvers;

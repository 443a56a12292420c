import { erasureEntityResolvers } from '@voiceassist/subgraph-server/erasure-entities';
import type { ConversationContext } from '../context.js';
import { scrubError } from '../scrub.js';
import { Conversation } from './Conversation.js';
import { Message } from './Message.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import type { Resolvers } from './resolvers-types.js';
import { Subscription } from './Subscription.js';
import { User } from './User.js';
import { UsageAnalyticsBucket } from './UsageAnalyticsBucket.js';

type Resolver = (...args: unknown[]) => unknown;

/** Database errors leave our resolvers without the statement's parameters (message text). */
function scrubbed(resolver: Resolver): Resolver {
  return (...args) => {
    try {
      const result = resolver(...args);
      return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(scrubError(error))) : result;
    } catch (error) {
      throw scrubError(error);
    }
  };
}

function scrubAll<T extends Record<string, unknown>>(resolvers: T): T {
  return Object.fromEntries(
    Object.entries(resolvers).map(([name, value]) => {
      if (typeof value === 'function') return [name, scrubbed(value as Resolver)];
      if (value && typeof value === 'object') return [name, scrubAll(value as Record<string, unknown>)];
      return [name, value];
    }),
  ) as T;
}

export const resolvers: Resolvers = scrubAll({
  Query,
  Mutation,
  Subscription,
  Conversation,
  Message,
  User,
  UsageAnalyticsBucket,
  ...erasureEntityResolvers('conversation', (ctx: ConversationContext) => ctx.services.erasure),
});

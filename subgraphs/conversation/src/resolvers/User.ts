import { isRole } from '@voiceassist/auth';
import { forbidden } from '@voiceassist/errors';
import { viewerOf } from '../context.js';
import { listConversations } from './Query.js';
import type { UserResolvers } from './resolvers-types.js';

export const User = {
  __resolveReference: (reference) => reference,

  conversations: (user, args, ctx) => {
    if (viewerOf(ctx).userId !== user.id) throw forbidden('Only the user themself can list their conversations');
    return listConversations(ctx, user.id, args);
  },

  /** Batched: a page of users costs one query. The budget follows the user's role (from identity). */
  usage: (user, _, ctx) => {
    const viewer = viewerOf(ctx);
    const role = isRole(user.role) ? user.role : viewer.userId === user.id ? viewer.role : 'VIEWER';
    return ctx.loaders.usage.load({ userId: user.id, budget: ctx.services.usage.budgetFor(role) });
  },
} satisfies UserResolvers;

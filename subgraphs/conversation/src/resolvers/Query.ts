import { viewerOf, type ConversationContext } from '../context.js';
import type { ConversationRow } from '../db/schema.js';
import { connectionOf, cursorDate, cursorString, pageRequest } from '@voiceassist/pagination';
import { isUuid } from '@voiceassist/database';
import { checkSearch } from '../validation.js';
import { ownedConversation } from './access.js';
import { checkRange } from '../feedback.js';
import type { QueryConversationsArgs, QueryResolvers } from './resolvers-types.js';

const CONVERSATION_CURSOR = 'conversation';
const positionOf = (row: ConversationRow) => [row.updatedAt.toISOString(), row.id];

/** The owner's conversations, one page; rows are primed into the request's loader for entity lookups. */
export async function listConversations(ctx: ConversationContext, ownerId: string, args: QueryConversationsArgs) {
  const page = pageRequest(CONVERSATION_CURSOR, args, 20, 100);
  let after: { updatedAt: Date; id: string } | undefined;
  if (page.after) {
    after = { updatedAt: cursorDate(page.after[0]), id: cursorString(page.after[1], isUuid) };
  }
  const rows = await ctx.services.store.list({
    ownerId,
    limit: page.limit + 1,
    after,
    search: checkSearch(args.search),
    archived: args.archived ?? undefined,
  });
  for (const row of rows) ctx.loaders.conversation.prime(row.id, row);
  return connectionOf(rows, page.limit, positionOf, CONVERSATION_CURSOR);
}

export const Query = {
  conversation: (_, { id }, ctx) => ownedConversation(ctx, id),

  conversations: (_, args, ctx) => listConversations(ctx, viewerOf(ctx).userId, args),

  feedbackSummary: (_, args, ctx) => ctx.services.feedback.summary(checkRange(args.from, args.to)),

  usageAnalytics: async (_, args, ctx) => {
    const range = checkRange(args.from, args.to);
    return { ...range, groupBy: args.groupBy, buckets: await ctx.services.analytics.usage(args.groupBy, range) };
  },
} satisfies QueryResolvers;

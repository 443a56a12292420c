import { connectionOf, cursorInteger, invalidCursor, pageRequest } from '@voiceassist/pagination';
import { isUuid } from '@voiceassist/database';
import type { ConversationResolvers } from './resolvers-types.js';

const MESSAGE_CURSOR = 'message';

export const Conversation = {
  /** Batched per request; someone else's conversation resolves to null. */
  __resolveReference: async ({ id }, ctx) => {
    if (!ctx.viewer || !isUuid(id)) return null;
    const row = await ctx.loaders.conversation.load(id);
    return row && row.ownerId === ctx.viewer.userId ? row : null;
  },

  owner: (row) => ({ __typename: 'User', id: row.ownerId }),

  memory: (row, _, ctx) =>
    ctx.services.memory.view(row.id, { authorization: ctx.authorization, requestId: ctx.requestId }),

  /** Pages of many conversations load in one query (DataLoader), not one per conversation. */
  messages: async (row, args, ctx) => {
    const page = pageRequest(MESSAGE_CURSOR, args, 50, 100);
    let afterPosition: number | undefined;
    if (page.after) {
      const [conversationId, position] = page.after;
      // A cursor of another conversation's messages is refused like any other foreign cursor.
      if (conversationId !== row.id) throw invalidCursor();
      afterPosition = cursorInteger(position);
    }
    const rows = await ctx.loaders.messagePage.load({ conversationId: row.id, limit: page.limit + 1, afterPosition });
    for (const message of rows) ctx.loaders.message.prime(message.id, { ...message, ownerId: row.ownerId, archived: row.archived });
    return connectionOf(rows, page.limit, (m) => [m.conversationId, m.position], MESSAGE_CURSOR);
  },
} satisfies ConversationResolvers;

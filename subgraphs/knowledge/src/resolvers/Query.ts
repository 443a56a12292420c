import { connectionOf, cursorDate, cursorString, pageRequest } from '@voiceassist/pagination';
import { requireRole } from '../context.js';
import { isUuid } from '@voiceassist/database';
import type { QueryResolvers } from './resolvers-types.js';

const DOCUMENT_CURSOR = 'document';

export const Query = {
  documents: async (_, args, ctx) => {
    requireRole(ctx, 'USER');
    // Newest first; a cursor is the position of the last document seen.
    const page = pageRequest(DOCUMENT_CURSOR, args);
    const after = page.after && { createdAt: cursorDate(page.after[0]), id: cursorString(page.after[1], isUuid) };
    const rows = await ctx.knowledge.store.list({ limit: page.limit + 1, after, status: args.status ?? undefined });
    return connectionOf(rows, page.limit, (row) => [row.createdAt.toISOString(), row.id], DOCUMENT_CURSOR);
  },

  document: (_, { id }, ctx) => {
    requireRole(ctx, 'USER');
    return ctx.documentLoader.load(id);
  },

  search: async (_, args, ctx) => {
    requireRole(ctx, 'USER');
    const citations = await ctx.knowledge.search.search(args);
    for (const citation of citations) ctx.chunkLoader.prime(citation.id, citation);
    return citations.map((citation) => ({ citation, score: citation.score }));
  },
} satisfies QueryResolvers;

import { connectionOf, cursorDate, cursorString, pageRequest } from '@voiceassist/pagination';
import type { KnowledgeContext } from '../context.js';
import { requireRole } from '../context.js';
import type { DocumentStatus } from '../db/schema.js';
import { isUuid } from '@voiceassist/database';
import type { SearchMode } from '../search.js';

const DOCUMENT_CURSOR = 'document';

export const Query = {
  documents: async (_: unknown, args: { first?: number | null; after?: string | null; status?: DocumentStatus | null }, ctx: KnowledgeContext) => {
    requireRole(ctx, 'USER');
    // Newest first; a cursor is the position of the last document seen.
    const page = pageRequest(DOCUMENT_CURSOR, args);
    const after = page.after && { createdAt: cursorDate(page.after[0]), id: cursorString(page.after[1], isUuid) };
    const rows = await ctx.knowledge.store.list({ limit: page.limit + 1, after, status: args.status ?? undefined });
    return connectionOf(rows, page.limit, (row) => [row.createdAt.toISOString(), row.id], DOCUMENT_CURSOR);
  },

  document: (_: unknown, { id }: { id: string }, ctx: KnowledgeContext) => {
    requireRole(ctx, 'USER');
    return ctx.documentLoader.load(id);
  },

  search: async (_: unknown, args: { query: string; limit?: number | null; mode?: SearchMode | null }, ctx: KnowledgeContext) => {
    requireRole(ctx, 'USER');
    const citations = await ctx.knowledge.search.search(args);
    for (const citation of citations) ctx.chunkLoader.prime(citation.id, citation);
    return citations.map((citation) => ({ citation, score: citation.score }));
  },
};

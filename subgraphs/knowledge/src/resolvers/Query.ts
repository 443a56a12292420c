import type { KnowledgeContext } from '../context.js';
import { requireRole } from '../context.js';
import type { DocumentStatus } from '../db/schema.js';
import { decodeDocumentCursor, encodeDocumentCursor, pageSize } from '../pagination.js';
import type { SearchMode } from '../search.js';

export const Query = {
  documents: async (_: unknown, args: { first?: number | null; after?: string | null; status?: DocumentStatus | null }, ctx: KnowledgeContext) => {
    requireRole(ctx, 'USER');
    const limit = pageSize(args.first);
    const rows = await ctx.knowledge.store.list({ limit: limit + 1, after: decodeDocumentCursor(args.after), status: args.status ?? undefined });
    const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeDocumentCursor(node), node }));
    return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
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

import { notFound } from '@voiceassist/errors';
import { requireRole, type KnowledgeContext } from '../context.js';
import type { IngestDocumentInput } from '../input.js';

export const Mutation = {
  ingestDocument: (_: unknown, { input }: { input: IngestDocumentInput }, ctx: KnowledgeContext) => {
    const viewer = requireRole(ctx, 'ADMIN');
    return ctx.knowledge.ingestion.ingest(input, viewer.userId);
  },

  deleteDocument: async (_: unknown, { id }: { id: string }, ctx: KnowledgeContext) => {
    requireRole(ctx, 'ADMIN');
    if (!(await ctx.knowledge.ingestion.remove(id))) throw notFound('Document');
    return true;
  },

  reindexDocument: (_: unknown, { id }: { id: string }, ctx: KnowledgeContext) => {
    requireRole(ctx, 'ADMIN');
    return ctx.knowledge.ingestion.reindex(id);
  },
};

import { notFound } from '@voiceassist/errors';
import { requireRole } from '../context.js';
import type { MutationResolvers } from './resolvers-types.js';

export const Mutation = {
  ingestDocument: (_, { input }, ctx) => {
    const viewer = requireRole(ctx, 'ADMIN');
    return ctx.knowledge.ingestion.ingest(input, viewer.userId);
  },

  deleteDocument: async (_, { id }, ctx) => {
    requireRole(ctx, 'ADMIN');
    if (!(await ctx.knowledge.ingestion.remove(id))) throw notFound('Document');
    return true;
  },

  reindexDocument: (_, { id }, ctx) => {
    requireRole(ctx, 'ADMIN');
    return ctx.knowledge.ingestion.reindex(id);
  },
} satisfies MutationResolvers;

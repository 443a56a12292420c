import { progressOf } from '../documents.js';
import type { DocumentResolvers } from './resolvers-types.js';

export const Document = {
  /** Batched per request: the router resolving many documents costs one query. */
  __resolveReference: (reference, ctx) => ctx.documentLoader.load(reference.id),
  progress: (document) => progressOf(document),
  needsReindex: (document, _, ctx) =>
    document.embeddingModel !== null &&
    (document.embeddingModel !== ctx.knowledge.embedding.model || document.embeddingDimension !== ctx.knowledge.embedding.dimension),
} satisfies DocumentResolvers;

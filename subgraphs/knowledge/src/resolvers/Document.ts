import type { KnowledgeContext } from '../context.js';
import type { DocumentInfo } from '../db/schema.js';
import { progressOf } from '../documents.js';

export const Document = {
  /** Batched per request: the router resolving many documents costs one query. */
  __resolveReference: (reference: { id: string }, ctx: KnowledgeContext) => ctx.documentLoader.load(reference.id),
  progress: (document: DocumentInfo) => progressOf(document),
  needsReindex: (document: DocumentInfo, _: unknown, ctx: KnowledgeContext) =>
    document.embeddingModel !== null &&
    (document.embeddingModel !== ctx.knowledge.embedding.model || document.embeddingDimension !== ctx.knowledge.embedding.dimension),
};

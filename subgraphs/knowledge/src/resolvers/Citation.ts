import type { KnowledgeContext } from '../context.js';
import type { ChunkInfo } from '../db/schema.js';
import { openingSnippet } from '../search.js';

type CitationParent = ChunkInfo & { snippet?: string; score?: number };

export const Citation = {
  /** Conversation returns citations by id; the router fetches them here in one batch. */
  __resolveReference: (reference: { id: string }, ctx: KnowledgeContext) => ctx.chunkLoader.load(reference.id),
  document: (citation: CitationParent, _: unknown, ctx: KnowledgeContext) => ctx.documentLoader.load(citation.documentId),
  snippet: (citation: CitationParent) => citation.snippet ?? openingSnippet(citation.content),
  score: (citation: CitationParent) => citation.score ?? 0,
};

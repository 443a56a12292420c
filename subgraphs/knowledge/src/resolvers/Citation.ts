import { notFound } from '@voiceassist/errors';
import { openingSnippet } from '../search.js';
import type { CitationResolvers } from './resolvers-types.js';

export const Citation = {
  /** Conversation returns citations by id; the router fetches them here in one batch. */
  __resolveReference: (reference, ctx) => ctx.chunkLoader.load(reference.id),
  /** A chunk's document goes with its chunks, so it is there unless deleted mid-request. */
  document: async (citation, _, ctx) => {
    const document = await ctx.documentLoader.load(citation.documentId);
    if (!document) throw notFound('Document');
    return document;
  },
  snippet: (citation) => citation.snippet ?? openingSnippet(citation.content),
  score: (citation) => citation.score ?? 0,
} satisfies CitationResolvers;

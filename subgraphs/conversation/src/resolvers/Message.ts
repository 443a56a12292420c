import type { MessageRow } from '../db/schema.js';
import { isUuid } from '@voiceassist/database';
import { phiOf } from '@voiceassist/phi-detection';
import { stillThere } from './access.js';
import type { MessageResolvers } from './resolvers-types.js';

export const PROVIDER_UNAVAILABLE_MESSAGE = 'The language model could not answer; try again later';

/** Why a FAILED reply failed, as clients see it. */
export const generationError = (row: Pick<MessageRow, 'status' | 'errorCode'>) =>
  row.status === 'FAILED' ? { code: row.errorCode ?? 'PROVIDER_UNAVAILABLE', message: PROVIDER_UNAVAILABLE_MESSAGE } : null;

export const Message = {
  /** Batched per request; someone else's message resolves to null. */
  __resolveReference: async ({ id }, ctx) => {
    if (!ctx.viewer || !isUuid(id)) return null;
    const row = await ctx.loaders.message.load(id);
    return row && row.ownerId === ctx.viewer.userId ? row : null;
  },

  conversation: async (row, _, ctx) => stillThere(await ctx.loaders.conversation.load(row.conversationId)),

  citations: (row) => row.citations.map((id) => ({ __typename: 'Citation', id })),

  citationChecks: (row) =>
    row.citationChecks.map((check) => ({ marker: check.marker, verified: check.verified, citation: { __typename: 'Citation', id: check.passageId } })),

  usage: (row) =>
    row.promptTokens === null || row.completionTokens === null
      ? null
      : { promptTokens: row.promptTokens, completionTokens: row.completionTokens, model: row.model ?? 'unknown' },

  error: generationError,

  // Computed on read: the detector is pure and fast (BENCHMARKS.md), and rules that improve apply to old messages too.
  phiFindings: (row) => phiOf(row, row.content).findings,

  redactedContent: (row) => phiOf(row, row.content).redacted,

  // Message resolves only for its owner, so the rating shown is always their own.
  feedback: (row, _, ctx) => (row.role === 'ASSISTANT' ? ctx.loaders.rating.load(row.id) : null),
} satisfies MessageResolvers;

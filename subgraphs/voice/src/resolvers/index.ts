import type { GraphQLResolverMap } from '@voiceassist/subgraph-server';
import { erasureEntityResolvers } from '@voiceassist/subgraph-server/erasure-entities';
import type { VoiceContext } from '../context.js';
import { ClinicalNote } from './ClinicalNote.js';
import { DictationSession } from './DictationSession.js';
import { Message } from './Message.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';
import { spokenTurnMutations, VoiceClarification } from './spoken-turn.js';
import { VoicePreferences } from './VoicePreferences.js';
import { UsageAnalyticsBucket } from './UsageAnalyticsBucket.js';
import type { VocabularyTermRow } from '../db/schema.js';
import type { DictationEvent } from '../dictation-events.js';
import { detectPhi } from '@voiceassist/phi-detection';

export const resolvers = {
  Query,
  Mutation: { ...Mutation, ...spokenTurnMutations },
  Subscription,
  VoiceClarification,
  Message,
  DictationSession,
  ClinicalNote,
  VoicePreferences,
  UsageAnalyticsBucket,
  VocabularyTerm: { kind: (term: VocabularyTermRow) => term.kind.toUpperCase() },
  // Live PHI monitoring of a dictation: found in the note so far, per event, like DictationSession.phiFindings.
  DictationEvent: { phiFindings: (event: DictationEvent) => detectPhi(event.transcript) },
  ...erasureEntityResolvers('voice', (ctx: VoiceContext) => ctx.voice.erasure),
} as unknown as GraphQLResolverMap<VoiceContext>;

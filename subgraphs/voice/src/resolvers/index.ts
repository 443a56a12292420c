import { erasureEntityResolvers } from '@voiceassist/subgraph-server/erasure-entities';
import type { VoiceContext } from '../context.js';
import { ClinicalNote } from './ClinicalNote.js';
import { DictationSession } from './DictationSession.js';
import { Message } from './Message.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import type { Resolvers } from './resolvers-types.js';
import { Subscription } from './Subscription.js';
import { spokenTurnMutations, VoiceClarification } from './spoken-turn.js';
import { VoicePreferences } from './VoicePreferences.js';
import { UsageAnalyticsBucket } from './UsageAnalyticsBucket.js';
import { detectPhi } from '@voiceassist/phi-detection';

export const resolvers: Resolvers = {
  Query,
  Mutation: { ...Mutation, ...spokenTurnMutations },
  Subscription,
  VoiceClarification,
  Message,
  DictationSession,
  ClinicalNote,
  VoicePreferences,
  UsageAnalyticsBucket,
  // The stored kinds are the schema's enum values in lower case.
  VocabularyTerm: { kind: (term) => term.kind.toUpperCase() as Uppercase<typeof term.kind> },
  // Live PHI monitoring of a dictation: found in the note so far, per event, like DictationSession.phiFindings.
  DictationEvent: { phiFindings: (event) => detectPhi(event.transcript) },
  ...erasureEntityResolvers('voice', (ctx: VoiceContext) => ctx.voice.erasure),
};

// Parent types of this subgraph's resolvers: `<GraphQL type>Mapper` becomes that type's parent and
// result type in resolvers-types.ts (`pnpm codegen:resolvers`).
import type { ClinicalNoteRow, DictationSessionRow, VocabularyTermRow } from '../db/schema.js';
import type { DictationEvent } from '../dictation-events.js';
import type { StoredPreferences } from '../preferences.js';
import type { UsageBucketRef } from '../voice-minutes.js';

export interface MessageRepresentation {
  id: string;
  /** Provided by the router through `@requires(fields: "content")`. */
  content?: string;
}

export type ClarificationReason = 'NOTHING_HEARD' | 'LOW_CONFIDENCE';
export interface Clarification {
  reason: ClarificationReason;
  text: string;
}

export type ClinicalNoteMapper = ClinicalNoteRow;
export type DictationSessionMapper = DictationSessionRow;
export type VocabularyTermMapper = VocabularyTermRow;
export type MessageMapper = MessageRepresentation;
export type VoicePreferencesMapper = StoredPreferences;
export type UsageAnalyticsBucketMapper = UsageBucketRef;
export type VoiceClarificationMapper = Clarification;
// Events as the dictation path publishes them; `phiFindings` is resolved per event.
export type DictationEventMapper = DictationEvent;

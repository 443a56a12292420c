import { allow, hasRole, isAuthenticated, type IRuleTypeMap } from '@voiceassist/auth';
import { erasureEntityPermissions } from '@voiceassist/subgraph-server/erasure-entities';

// Federation's own fields are added by createPermissions; everything not listed here is denied.
// Speech engines cost CPU or money: USER and up. Reading one's own settings is for anyone signed in.
export const permissions: IRuleTypeMap = {
  Query: {
    voices: isAuthenticated,
    voicePreferences: isAuthenticated,
    dictationSession: hasRole('USER'),
    clinicalNote: hasRole('USER'),
    vocabulary: hasRole('ADMIN'),
  },
  Mutation: {
    transcribe: hasRole('USER'),
    synthesize: hasRole('USER'),
    updateVoicePreferences: isAuthenticated,
    startDictation: hasRole('USER'),
    appendDictation: hasRole('USER'),
    finishDictation: hasRole('USER'),
    addVocabularyTerms: hasRole('ADMIN'),
    askByVoice: hasRole('USER'),
  },
  Subscription: { dictationEvents: hasRole('USER'), speechStream: hasRole('USER') },
  // Inside `_entities` too: the resolver checks the caller owns the message (NOT_FOUND otherwise).
  Message: { '*': isAuthenticated },
  // Reachable only through the fields above, which carry the checks.
  SpeechAudio: allow,
  Transcription: allow,
  Voice: allow,
  VoicePreferences: allow,
  DictationSession: allow,
  ClinicalNote: allow,
  NoteSection: allow,
  PhiFinding: allow,
  // Admin analytics, also inside `_entities`.
  UsageAnalyticsBucket: hasRole('ADMIN'),
  VocabularyTerm: allow,
  DictationEvent: allow,
  SpeechChunk: allow,
  AskByVoicePayload: allow,
  VoiceClarification: allow,
  DictationCommandApplied: allow,
  ...erasureEntityPermissions,
};

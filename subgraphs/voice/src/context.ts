import type DataLoader from 'dataloader';
import type { Database } from '@voiceassist/database';
import type { Viewer } from '@voiceassist/auth';
import { unauthenticated } from '@voiceassist/errors';
import type { RequestContext } from '@voiceassist/subgraph-server';
import type { ErasureEntitySource } from '@voiceassist/subgraph-server/erasure-entities';
import type { ConversationClient } from './conversation-client.js';
import type { Dictation } from './dictation.js';
import type { DictationEvents } from './dictation-events.js';
import type { MessageOwnerLookup } from './message-owners.js';
import type { Preferences, StoredPreferences } from './preferences.js';
import type { Hear } from './hearing.js';
import type { VoiceSpeech } from './speech.js';
import { voiceMinutesLoader, type UsageBucketRef } from './voice-minutes.js';
import type { Vocabulary } from './vocabulary/store.js';

export interface VoiceServices {
  speech: VoiceSpeech;
  /** Transcription with the organisation's vocabulary applied. */
  hear: Hear;
  vocabulary: Vocabulary;
  preferences: Preferences;
  dictation: Dictation;
  dictationEvents: DictationEvents;
  /** sendMessage and reply tokens, asked of the conversation subgraph as the caller. */
  conversation: ConversationClient;
  /** A spoken question heard with less confidence than this is answered with a clarification request. */
  repairBelowConfidence: number;
  messageOwners: MessageOwnerLookup;
  /** For admin analytics (voice minutes). */
  db: Database;
  /** This subgraph's part of a person's erasure status and data export. */
  erasure: ErasureEntitySource;
}

export interface VoiceContext extends RequestContext {
  voice: VoiceServices;
  /** Owner of each message this request reads aloud, batched into one call to conversation. */
  messageOwners: DataLoader<string, string | null>;
  /** Voice minutes of usageAnalytics buckets, batched per request. */
  voiceMinutes: DataLoader<UsageBucketRef, number | null, string>;
  /** The caller's preferences, read once per request. */
  preferences(): Promise<StoredPreferences>;
}

export function voiceContext(voice: VoiceServices) {
  return (base: RequestContext): VoiceContext => {
    let preferences: Promise<StoredPreferences> | undefined;
    return {
      ...base,
      voice,
      messageOwners: voice.messageOwners.loader(base.authorization, base.requestId, base.logger),
      voiceMinutes: voiceMinutesLoader(voice.db),
      preferences() {
        preferences ??= voice.preferences.get(viewerOf(base).userId);
        return preferences;
      },
    };
  };
}

/** Shield guards these fields already; this keeps the resolvers honest if a rule is ever loosened. */
export function viewerOf(ctx: { viewer: Viewer | null }): Viewer {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}

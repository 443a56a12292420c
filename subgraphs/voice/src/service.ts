import { createOpenAIChatProvider, createOpenAIClient, createSpeechProviders, openAIConfigured, traceSpeechProviders, type SpeechProviders } from '@voiceassist/ai';
import { erasureLedger } from '@voiceassist/database/erased-users';
import { createMemoryRateLimiter, createRedisRateLimiter } from '@voiceassist/rate-limit';
import { createSubgraphServer, defineSubgraphService, subgraphModule, type CreateServiceOptions } from '@voiceassist/subgraph-server';
import { withSubgraphResources, type ErasingSubgraphService } from '@voiceassist/subgraph-server/resources';
import { voiceContext, type VoiceContext } from './context.js';
import { voiceDatabase } from './db/database.js';
import { erasedUsers } from './db/schema.js';
import { createConversationClient } from './conversation-client.js';
import { createDictation, type Dictation } from './dictation.js';
import { createDictationEvents } from './dictation-events.js';
import { voiceEnvSchema, type VoiceEnv } from './env.js';
import { createVoiceErasure } from './erasure.js';
import { createMessageOwnerLookup } from './message-owners.js';
import { permissions } from './permissions.js';
import { createPreferences } from './preferences.js';
import { resolvers } from './resolvers/index.js';
import { createNoteWriter } from './soap-note.js';
import { createSpeechCache } from './speech-cache.js';
import { createVoiceSpeech, type VoiceSpeech } from './speech.js';
import { createHearing } from './hearing.js';
import { createVocabulary } from './vocabulary/store.js';
import { builtInLexicon } from './vocabulary/normalize.js';
import { recognizerVocabulary } from './vocabulary/recognizer.js';

export { voiceEnvSchema, type VoiceEnv } from './env.js';
export type { VoiceContext } from './context.js';
export { classifySoap, type SoapNote } from './soap-note.js';

export const voiceSubgraph = subgraphModule<VoiceContext>('voice', new URL('./schema.graphql', import.meta.url), { resolvers, permissions });

export interface VoiceService extends ErasingSubgraphService {
  providers: SpeechProviders;
  speech: VoiceSpeech;
  dictation: Dictation;
  /** Stops the server and the expiry sweep, and releases the database and Redis. */
  close(): Promise<void>;
}

export interface VoiceServiceOptions extends CreateServiceOptions<VoiceEnv> {
  /** GraphQL URLs of subgraphs started before this one; `conversation` overrides CONVERSATION_URL. */
  peers?: Record<string, string> | undefined;
}

/** Opens the database (migrating it), picks the speech engines, and builds the server; call listen() on it. */
export async function createVoiceService({ env, logger, infra, peers }: VoiceServiceOptions): Promise<VoiceService> {
  // On pub/sub: erasure (deletions announced by identity, confirmations back) and live dictation events.
  return withSubgraphResources({ name: 'voice', env, logger, infra, database: voiceDatabase }, async ({ database, pubsub, redis, onRelease, serverOptions, startErasures }) => {
    const providers = traceSpeechProviders(createSpeechProviders(env, { pocketsphinxVocabulary: recognizerVocabulary(builtInLexicon()) }));
    const connection = { baseUrl: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY, timeoutMs: env.OPENAI_TIMEOUT_MS };
    const chat = openAIConfigured(connection) ? createOpenAIChatProvider({ client: createOpenAIClient(connection), model: env.OPENAI_CHAT_MODEL }) : undefined;
    const speech = createVoiceSpeech({
      providers,
      cache: createSpeechCache({ maxBytes: env.SPEECH_CACHE_MAX_BYTES, redis, ttlSeconds: env.SPEECH_CACHE_TTL_SECONDS }),
      limiter: redis ? createRedisRateLimiter(redis) : createMemoryRateLimiter(),
      limits: {
        maxAudioBytes: env.TRANSCRIBE_MAX_BYTES,
        maxAudioSeconds: env.TRANSCRIBE_MAX_SECONDS,
        maxTextChars: env.SYNTHESIZE_MAX_CHARS,
        requestsPerMinute: env.SPEECH_REQUESTS_PER_MINUTE,
      },
    });
    const { db } = database;
    const conversationUrl = peers?.conversation ?? env.CONVERSATION_URL ?? 'http://localhost:4002/graphql';
    const vocabulary = createVocabulary(db);
    const dictationEvents = createDictationEvents(pubsub);
    const hear = createHearing(speech, vocabulary);
    const dictation = createDictation({
      db,
      hear,
      writer: createNoteWriter({ chat, logger }),
      idleTimeoutMs: env.DICTATION_IDLE_TIMEOUT_SECONDS * 1000,
      logger,
      events: dictationEvents,
    });
    const erasure = createVoiceErasure({ db, speech });
    const ledger = erasureLedger(db, erasedUsers);
    const services = {
      speech,
      hear,
      vocabulary,
      preferences: createPreferences(db, speech.isVoice),
      dictation,
      dictationEvents,
      messageOwners: createMessageOwnerLookup({ conversationUrl }),
      conversation: createConversationClient({ conversationUrl }),
      repairBelowConfidence: env.VOICE_REPAIR_MIN_CONFIDENCE,
      db,
      erasure: { progress: ledger.progress, exportData: erasure.exportData },
    };
    // Idle dictations expire (and their transcripts go) even if nobody looks at them again.
    const sweeper = setInterval(
      () => void dictation.sweep().catch((error: unknown) => logger.warn({ err: error }, 'dictation expiry sweep failed')),
      Math.min(60_000, Math.max(1_000, env.DICTATION_IDLE_TIMEOUT_SECONDS * 500)),
    );
    sweeper.unref();
    onRelease(() => clearInterval(sweeper));
    logger.info({ speechEngine: providers.engine, noteWriter: chat ? `llm:${chat.model}` : 'cue-phrases' }, 'voice providers ready');
    const server = createSubgraphServer<VoiceContext>({
      module: voiceSubgraph,
      context: voiceContext(services),
      // A missing speech engine fails speech calls (PROVIDER_UNAVAILABLE), not readiness.
      // Without Redis, speech limits count per instance and the speech cache is this instance's memory.
      ...serverOptions(),
      // Audio travels as base64 (4/3 of its size) inside the JSON body.
      bodyLimitBytes: Math.ceil((env.TRANSCRIBE_MAX_BYTES * 4) / 3) + 64 * 1024,
    });
    const erasures = startErasures(ledger, erasure.erase);
    return { server, database, providers, speech, dictation, erasures, close: () => server.close() };
  });
}

/** How `pnpm start`, the test kit and the deployment checks start voice. */
export const voiceService = defineSubgraphService({
  module: voiceSubgraph,
  envSchema: voiceEnvSchema,
  portVariable: 'VOICE_PORT',
  create: ({ env, logger, infra, peers }) => createVoiceService({ env, logger, infra, peers }),
});

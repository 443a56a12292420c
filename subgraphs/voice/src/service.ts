import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { createOpenAIChatProvider, createOpenAIClient, createSpeechProviders, openAIConfigured, traceSpeechProviders, type SpeechProviders } from '@voiceassist/ai';
import { createAccessTokenVerifier, createSessionRevocations, syncFromIdentity } from '@voiceassist/auth';
import type { DatabaseHandle } from '@voiceassist/database';
import { erasureLedger } from '@voiceassist/database/erased-users';
import { erasuresFromIdentity, startErasureConsumer, type ErasureConsumer } from '@voiceassist/erasure';
import type { Logger } from '@voiceassist/logging';
import { createPubSub } from '@voiceassist/pubsub';
import { createMemoryRateLimiter, createRedisRateLimiter } from '@voiceassist/rate-limit';
import { createRedis, RedisAvailability, type Redis } from '@voiceassist/redis';
import { serviceHttpOptions } from '@voiceassist/graphql-http';
import { createSubgraphServer, type ServiceInfra, type SubgraphModule, type SubgraphServer, type SubgraphServiceDefinition } from '@voiceassist/subgraph-server';
import { voiceContext, type VoiceContext } from './context.js';
import { openSubgraphDatabase } from '@voiceassist/database';
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

export { voiceEnvSchema, type VoiceEnv } from './env.js';
export type { VoiceContext } from './context.js';
export { classifySoap, type SoapNote } from './soap-note.js';

export const voiceSubgraph: SubgraphModule<VoiceContext> = {
  name: 'voice',
  typeDefs: parse(readFileSync(fileURLToPath(new URL('./schema.graphql', import.meta.url)), 'utf8')),
  resolvers,
  permissions,
};

export interface VoiceService {
  server: SubgraphServer;
  database: DatabaseHandle;
  providers: SpeechProviders;
  speech: VoiceSpeech;
  dictation: Dictation;
  /** Erases people identity deleted (`sync()` runs a pass now). */
  erasures: ErasureConsumer;
  /** Stops the server and the expiry sweep, and releases the database and Redis. */
  close(): Promise<void>;
}

export interface VoiceServiceOptions {
  env: VoiceEnv;
  logger: Logger;
  infra: ServiceInfra;
  /** GraphQL URLs of subgraphs started before this one; `conversation` overrides CONVERSATION_URL. */
  peers?: Record<string, string> | undefined;
}

/** Opens the database (migrating it), picks the speech engines, and builds the server; call listen() on it. */
export async function createVoiceService({ env, logger, infra, peers }: VoiceServiceOptions): Promise<VoiceService> {
  const database = await openSubgraphDatabase(voiceDatabase, { url: infra.databaseUrl, dataDir: infra.dataDir });
  const revocations = createSessionRevocations({ redisUrl: infra.redisUrl, namespace: infra.namespace, logger, sync: syncFromIdentity(env) });
  let redis: Redis | undefined;
  const redisAvailability = new RedisAvailability();
  let sweeper: NodeJS.Timeout | undefined;
  // On pub/sub: erasure (deletions announced by identity, confirmations back) and live dictation events.
  const pubsub = createPubSub({ redisUrl: infra.redisUrl, namespace: infra.namespace, connectionName: 'voice', availability: redisAvailability });
  let erasures: ErasureConsumer | undefined;
  const release = async () => {
    clearInterval(sweeper);
    await erasures?.close();
    await Promise.allSettled([revocations.close(), pubsub.close(), redis?.quit()]);
    await database.close();
  };
  try {
    if (infra.redisUrl) {
      redis = createRedis({ url: infra.redisUrl, keyPrefix: infra.namespace ? `${infra.namespace}:` : '', connectionName: 'voice', availability: redisAvailability });
    }
    const providers = traceSpeechProviders(createSpeechProviders(env));
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
    sweeper = setInterval(
      () => void dictation.sweep().catch((error: unknown) => logger.warn({ err: error }, 'dictation expiry sweep failed')),
      Math.min(60_000, Math.max(1_000, env.DICTATION_IDLE_TIMEOUT_SECONDS * 500)),
    );
    sweeper.unref();
    logger.info({ speechEngine: providers.engine, noteWriter: chat ? `llm:${chat.model}` : 'cue-phrases' }, 'voice providers ready');
    const server = createSubgraphServer<VoiceContext>({
      module: voiceSubgraph,
      logger,
      verifier: createAccessTokenVerifier({ keys: { jwksUrl: env.JWKS_URL }, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, revocations, maxLifetimeSeconds: env.ACCESS_TOKEN_MAX_LIFETIME_SECONDS }),
      context: voiceContext(services),
      // A missing speech engine fails speech calls (PROVIDER_UNAVAILABLE), not readiness.
      // Without Redis, speech limits count per instance and the speech cache is this instance's memory.
      readiness: { required: { database: () => database.ping() }, reported: { revocations: revocations.checkSynced }, degradable: redis ? { redis: redisAvailability } : {} },
      ...serviceHttpOptions(env),
      // Audio travels as base64 (4/3 of its size) inside the JSON body.
      bodyLimitBytes: Math.ceil((env.TRANSCRIBE_MAX_BYTES * 4) / 3) + 64 * 1024,
      onClose: release,
    });
    // After the server exists (its close stops the consumer); the first pass catches up with identity's feed.
    erasures = startErasureConsumer({ subgraph: 'voice', pubsub, logger, ...erasuresFromIdentity(env), ...ledger, erase: erasure.erase });
    return { server, database, providers, speech, dictation, erasures, close: () => server.close() };
  } catch (error) {
    await release();
    throw error;
  }
}

/** How `pnpm start`, the test kit and the deployment checks start voice. */
export const voiceService: SubgraphServiceDefinition<VoiceEnv, VoiceService> = {
  name: 'voice',
  module: voiceSubgraph as SubgraphModule<never>,
  envSchema: voiceEnvSchema,
  portVariable: 'VOICE_PORT',
  port: (env) => env.VOICE_PORT,
  create: ({ env, logger, infra, peers }) => createVoiceService({ env, logger, infra, peers }),
};

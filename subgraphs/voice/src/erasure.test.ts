import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpeechProviders } from '@voiceassist/ai';
import { sql, type DatabaseHandle } from '@voiceassist/database';
import { erasureLedger } from '@voiceassist/database/erased-users';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { createMemoryRateLimiter, createRedisRateLimiter } from '@voiceassist/rate-limit';
import { createRedis, type Redis } from '@voiceassist/redis';
import { createTestDatabase, type TestDatabase } from '@voiceassist/testkit/database';
import { testEnv } from '@voiceassist/testkit/env';
import { findDatabaseTraces, findRedisTraces } from '@voiceassist/testkit/traces';
import { openSubgraphDatabase } from '@voiceassist/database';
import { voiceDatabase } from './db/database.js';
import { erasedUsers } from './db/schema.js';
import { createDictation, type Dictation } from './dictation.js';
import { createDictationEvents } from './dictation-events.js';
import { createHearing } from './hearing.js';
import { createInProcessPubSub } from '@voiceassist/pubsub';
import { createVocabulary } from './vocabulary/store.js';
import { voiceEnvSchema } from './env.js';
import { createVoiceErasure, type VoiceErasure } from './erasure.js';
import { createPreferences, type Preferences } from './preferences.js';
import { createNoteWriter } from './soap-note.js';
import { createSpeechCache } from './speech-cache.js';
import { createVoiceSpeech, type VoiceSpeech } from './speech.js';

// A person's speech preferences, dictations (one finished into a note, one still open) and
// speech of their text (in Redis too when REDIS_URL is set), then their erasure: nothing in the
// voice schema or in Redis names them or holds their words or their speech.

const MARKER = 'zebrafinch';
const namespace = `voice-erasure-test-${randomUUID()}`;

let target: TestDatabase;
let database: DatabaseHandle;
let redis: Redis | undefined;
let speech: VoiceSpeech;
let dictation: Dictation;
let preferences: Preferences;
let erasure: VoiceErasure;

beforeAll(async () => {
  target = await createTestDatabase();
  database = await openSubgraphDatabase(voiceDatabase, { url: target.url });
  if (testEnv.REDIS_URL) redis = createRedis({ url: testEnv.REDIS_URL, keyPrefix: `${namespace}:` });
  const logger = createLogger({ service: 'test', level: 'silent' });
  speech = createVoiceSpeech({
    providers: createSpeechProviders(loadEnv(voiceEnvSchema, { NODE_ENV: 'test' })),
    cache: createSpeechCache({ maxBytes: 8_000_000, redis }),
    limiter: redis ? createRedisRateLimiter(redis) : createMemoryRateLimiter(),
    limits: { maxAudioBytes: 1_000_000, maxAudioSeconds: 60, maxTextChars: 1_000, requestsPerMinute: 100 },
  });
  dictation = createDictation({ db: database.db, hear: createHearing(speech, createVocabulary(database.db)), writer: createNoteWriter({ logger }), idleTimeoutMs: 60_000, logger, events: createDictationEvents(createInProcessPubSub()) });
  preferences = createPreferences(database.db, speech.isVoice);
  erasure = createVoiceErasure({ db: database.db, speech });
});

afterAll(async () => {
  if (redis) {
    const keys = await redis.keys(`${namespace}:*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(namespace.length + 1)));
    await redis.quit();
  }
  await database?.close();
  await target?.drop();
});

const scan = (needles: string[]) => findDatabaseTraces((statement) => database.query(sql.raw(statement)), ['voice'], needles);
const say = (userId: string, text: string) => speech.synthesize({ userId, text, format: 'wav', preferred: { voice: null, rate: 1 }, textField: 'text' });

/** Preferences, a finished dictation with its note, an open one with a chunk, and speech of `word`. */
async function seed(userId: string, word: string) {
  await preferences.update(userId, { rate: 1.25 });
  const finished = await dictation.start(userId, 'SOAP');
  await dictation.append(userId, finished.id, { text: `Patient reports ${word} headaches for two days.` });
  await dictation.append(userId, finished.id, { text: 'Plan: rest and fluids.' });
  await dictation.finish(userId, finished.id);
  const open = await dictation.start(userId, 'FREE_TEXT');
  await dictation.append(userId, open.id, { text: `Follow-up on the ${word} case.` });
  await say(userId, `The ${word} note is ready.`);
}

describe('erasing a person from voice', () => {
  it('removes their preferences, dictations, chunks, notes and cached speech, leaves others alone, and can run again', async () => {
    const person = randomUUID();
    const other = randomUUID();
    await seed(person, MARKER);
    await seed(other, 'kingfisher');
    const exported = await erasure.exportData(person);
    expect(exported.preferences).toMatchObject({ rate: 1.25 });
    expect(exported.dictations.map((d) => d.status).sort()).toEqual(['ACTIVE', 'FINISHED']);
    expect(JSON.stringify(exported)).toContain(MARKER);
    if (redis) expect((await findRedisTraces(redis, `${namespace}:*`, [person])).length).toBeGreaterThan(0);
    const speechKeys = async () => (redis ? (await redis.keys(`${namespace}:voice:speech:*`)).length : 0);
    const cachedBefore = await speechKeys();

    await erasure.erase(person);

    expect(await scan([person, MARKER])).toEqual([]);
    expect((await scan([other, 'kingfisher'])).length).toBeGreaterThan(0);
    if (redis) {
      expect(await findRedisTraces(redis, `${namespace}:*`, [person])).toEqual([]);
      // Their speech entry went; the other person's stayed.
      expect(await speechKeys()).toBe(cachedBefore - 1);
    }
    expect(await erasure.exportData(person)).toEqual({ preferences: null, dictations: [] });
    expect((await erasure.exportData(other)).dictations).toHaveLength(2);

    await erasure.erase(person);
    expect(await scan([person, MARKER])).toEqual([]);
  });

  it('reports the erasure recorded in its ledger', async () => {
    const ledger = erasureLedger(database.db, erasedUsers);
    const person = randomUUID();
    expect(await ledger.progress(person)).toEqual({ state: 'PENDING', at: null });
    const at = new Date('2026-01-02T03:04:05.000Z');
    await ledger.markErased(person, at);
    await ledger.markErased(person, new Date());
    expect(await ledger.isErased(person)).toBe(true);
    expect(await ledger.progress(person)).toEqual({ state: 'DONE', at });
    expect(await ledger.progress('not-a-uuid')).toEqual({ state: 'PENDING', at: null });
  });
});

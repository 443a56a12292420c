import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeExtractiveAnswer, createEmbeddedChatProvider, type ChatPassage } from '@voiceassist/ai';
import type { Viewer } from '@voiceassist/auth';
import type { DatabaseHandle } from '@voiceassist/database';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { createPubSub, type PubSub } from '@voiceassist/pubsub';
import { createRedis, type Redis } from '@voiceassist/redis';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';
import { createConversationStore } from './conversations.js';
import { conversationEnvSchema } from './env.js';
import { createGenerations, type Generations } from './generation.js';
import { ragAlwaysOn } from './rag-switch.js';
import { openTestDatabase } from '@voiceassist/testkit/database';
import { conversationDatabase } from './db/database.js';
import { createTokenLog, type TokenLog, type TokenLogEntry } from './token-log.js';
import { budgetsFromEnv, createUsage } from './usage.js';

// Redis goes away in the middle of a reply: the reply is still finished and stored, and a
// subscriber on the same instance keeps getting its tokens. The test kills a redis-server of its
// own, on a private port (never the shared one); the database is PGlite, or PostgreSQL with DATABASE_URL.

const PASSAGES: ChatPassage[] = Array.from({ length: 3 }, (_, i) => ({
  id: `chunk-${i}`,
  text: `Hypertension step ${i} involves measuring blood pressure again. Hypertension step ${i} then adjusts treatment for the patient.`,
}));
const QUESTION = 'hypertension steps';
const ANSWER = composeExtractiveAnswer(QUESTION, PASSAGES);
const viewer: Viewer = { userId: randomUUID(), role: 'USER', sessionId: randomUUID(), expiresAt: new Date(Date.now() + 3_600_000) };
const namespace = `redis-outage-test-${randomUUID()}`;

let db: { database: DatabaseHandle; close(): Promise<void> };
let server: TestRedisServer;
let redis: Redis;
let pubsub: PubSub;
let tokenLog: TokenLog;
let generations: Generations;

beforeAll(async () => {
  db = await openTestDatabase(conversationDatabase);
  server = await startRedisServer();
  redis = createRedis({ url: server.url, keyPrefix: `${namespace}:` });
  pubsub = createPubSub({ redisUrl: server.url, namespace });
  tokenLog = createTokenLog({ redis, pubsub, namespace, ttlSeconds: 60 });
  generations = createGenerations({
    db: db.database.db,
    store: createConversationStore(db.database.db),
    usage: createUsage(db.database.db, budgetsFromEnv(loadEnv(conversationEnvSchema, {}))),
    tokenLog,
    pubsub,
    provider: createEmbeddedChatProvider({ tokenDelayMs: 60 }),
    knowledge: { limit: 5, search: async () => PASSAGES },
    ragSwitch: ragAlwaysOn,
    logger: createLogger({ service: 'test', level: 'silent' }),
    idleTimeoutMs: 10_000,
  });
});

afterAll(async () => {
  await generations?.shutdown();
  await server?.start().catch(() => {});
  await pubsub?.close();
  await redis?.quit().catch(() => redis.disconnect());
  await server?.kill();
  await db?.close();
});

/** A conversation with a question and its reply, STREAMING, as sendMessage leaves them, with the reply started. */
async function startReply() {
  const store = createConversationStore(db.database.db);
  const conversation = await store.create(viewer.userId, 'Outage');
  const message = await db.database.db.transaction(async (tx) => {
    const now = new Date();
    const base = { conversationId: conversation.id, createdAt: now, updatedAt: now };
    await store.insertMessage(tx, { ...base, position: 0, role: 'USER', content: QUESTION, status: 'COMPLETE' });
    return store.insertMessage(tx, { ...base, position: 1, role: 'ASSISTANT', content: '', status: 'STREAMING' });
  });
  generations.start({ message, viewer, history: [], question: QUESTION, useKnowledge: true, caller: { authorization: undefined, requestId: 'r' } });
  return message;
}

const stored = async (id: string) => (await createConversationStore(db.database.db).messagesByIds([id]))[0]!;

describe('a reply while Redis is away (its token log on Redis)', () => {
  it('is finished and stored, and a subscriber on the same instance gets every token, in order', async () => {
    const message = await startReply();
    const seen: Array<TokenLogEntry & { at: number }> = [];
    let killedAt = Number.POSITIVE_INFINITY;
    for await (const entry of tokenLog.follow(message.id, -1)) {
      seen.push({ ...entry, at: Date.now() });
      if (seen.length === 3) {
        await server.kill();
        killedAt = Date.now();
      }
    }
    expect(seen.map((e) => e.index)).toEqual([...Array(seen.length).keys()]);
    expect(seen.at(-1)!.done).toBe(true);
    expect(seen.map((e) => e.delta).join('')).toBe(ANSWER);
    // Most of the reply was generated with Redis gone.
    expect(seen.filter((e) => e.at > killedAt).length).toBeGreaterThan(5);
    await expect.poll(async () => (await stored(message.id)).status, { timeout: 10_000 }).toBe('COMPLETE');
    expect(await stored(message.id)).toMatchObject({ content: ANSWER, errorCode: null });
  });

  it('once Redis is back, replies are logged there again', async () => {
    await server.start();
    await expect.poll(() => redis.status, { timeout: 10_000 }).toBe('ready');
    const message = await startReply();
    const entries: TokenLogEntry[] = [];
    for await (const entry of tokenLog.follow(message.id, -1)) entries.push(entry);
    expect(entries.map((e) => e.delta).join('')).toBe(ANSWER);
    expect(await stored(message.id)).toMatchObject({ status: 'COMPLETE', content: ANSWER });
    // In the Redis stream itself, every entry and the end, for followers on other replicas.
    expect(await redis.xlen(`conversation:tokens:${message.id}`)).toBe(entries.length);
  });
});

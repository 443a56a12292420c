import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedChatProvider, type ChatPassage } from '@voiceassist/ai';
import type { Viewer } from '@voiceassist/auth';
import type { DatabaseHandle } from '@voiceassist/database';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { createPubSub } from '@voiceassist/pubsub';
import { createRedis, type Redis } from '@voiceassist/redis';
import { createConversationStore } from './conversations.js';
import { conversationEnvSchema } from './env.js';
import { createGenerations, type Generations } from './generation.js';
import type { KnowledgeSearch } from './knowledge.js';
import { ragAlwaysOn } from './rag-switch.js';
import { openTestDatabase } from './testing/database.js';
import { createTokenLog, type TokenLog } from './token-log.js';
import { budgetsFromEnv, createUsage } from './usage.js';

// Two replicas of the generation machinery sharing one database and one pub/sub namespace (Redis
// when REDIS_URL is set): a cancel sent to either reaches the one generating.

const redisUrl = process.env.REDIS_URL || undefined;
const namespace = `generation-test-${randomUUID()}`;
const logger = createLogger({ service: 'test', level: 'silent' });
const closers: Array<() => Promise<unknown>> = [];
let db: { database: DatabaseHandle; close(): Promise<void> };

const PASSAGES: ChatPassage[] = Array.from({ length: 3 }, (_, i) => ({
  id: `chunk-${i}`,
  text: `Hypertension step ${i} involves measuring blood pressure again. Hypertension step ${i} then adjusts treatment for the patient.`,
}));
/** Passages without a knowledge subgraph: the embedded provider answers at length from them. */
const knowledge: KnowledgeSearch = { search: async () => PASSAGES };

interface Replica {
  generations: Generations;
  tokenLog: TokenLog;
}

function replica(tokenDelayMs: number, heartbeatMs = 200): Replica {
  const pubsub = createPubSub({ redisUrl, namespace });
  let redis: Redis | undefined;
  if (redisUrl) redis = createRedis({ url: redisUrl, keyPrefix: `${namespace}:` });
  const store = createConversationStore(db.database.db);
  const tokenLog = createTokenLog({ redis, pubsub, namespace, ttlSeconds: 60 });
  const generations = createGenerations({
    db: db.database.db,
    store,
    usage: createUsage(db.database.db, budgetsFromEnv(loadEnv(conversationEnvSchema, {}))),
    tokenLog,
    pubsub,
    provider: createEmbeddedChatProvider({ tokenDelayMs }),
    knowledge,
    ragSwitch: ragAlwaysOn,
    logger,
    idleTimeoutMs: 5_000,
    heartbeatMs,
    cancelWaitMs: 500,
  });
  closers.push(async () => {
    await generations.shutdown();
    await pubsub.close();
    await redis?.quit();
  });
  return { generations, tokenLog };
}

const viewer: Viewer = { userId: randomUUID(), role: 'USER', sessionId: randomUUID(), expiresAt: new Date(Date.now() + 3_600_000) };

/** A conversation with a question and a STREAMING reply, as sendMessage leaves them. */
async function streamingReply() {
  const store = createConversationStore(db.database.db);
  const conversation = await store.create(viewer.userId, 'Test');
  return db.database.db.transaction(async (tx) => {
    const now = new Date();
    const base = { conversationId: conversation.id, createdAt: now, updatedAt: now };
    await store.insertMessage(tx, { ...base, position: 0, role: 'USER', content: 'hypertension steps', status: 'COMPLETE' });
    return store.insertMessage(tx, { ...base, position: 1, role: 'ASSISTANT', content: '', status: 'STREAMING' });
  });
}

const job = (message: Awaited<ReturnType<typeof streamingReply>>) => ({
  message,
  viewer,
  history: [],
  question: 'hypertension steps',
  useKnowledge: true,
  caller: { authorization: 'Bearer x', requestId: 'r' },
});

const stored = async (id: string) => (await createConversationStore(db.database.db).messagesByIds([id]))[0]!;

beforeAll(async () => {
  db = await openTestDatabase();
});

// Each test's replicas stop with it: a replica left running sweeps the shared database on its
// own timer and could end another test's reply first.
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

afterAll(async () => {
  await db?.close();
});

describe(`replies across replicas (${redisUrl ? 'Redis' : 'in-process'} pub/sub)`, () => {
  it('a cancel sent to another replica stops the generating one, keeping the text so far', async () => {
    const generating = replica(40);
    const other = replica(40);
    const message = await streamingReply();
    generating.generations.start(job(message));
    const seen: string[] = [];
    for await (const entry of other.tokenLog.follow(message.id, -1)) {
      seen.push(entry.delta);
      if (seen.length === 3) break;
    }
    await other.generations.stop(message.id, 'cancel');
    const row = await stored(message.id);
    expect(row.status).toBe('CANCELLED');
    expect(row.content.startsWith(seen.join(''))).toBe(true);
    const entries = await other.tokenLog.range(message.id, -1);
    expect(entries.at(-1)!.done).toBe(true);
    expect(entries.map((e) => e.delta).join('')).toBe(row.content);
    expect(row.citations).toEqual(['chunk-0', 'chunk-1', 'chunk-2']);
    expect(generating.generations.isActive(message.id)).toBe(false);
  });

  it('ends a reply nobody is generating any more: a cancel after the wait, or the sweep', async () => {
    // Heartbeats far apart: its own sweeper does not call the orphan abandoned during the cancel
    // wait, however slow the machine; the cancel alone must end it.
    const survivor = replica(0, 5_000);
    const orphan = await streamingReply();
    // A replica died after streaming part of it.
    const deadWriter = survivor.tokenLog.writer(orphan.id);
    deadWriter.append('Partial');
    await deadWriter.flush();
    await survivor.generations.stop(orphan.id, 'cancel');
    expect(await stored(orphan.id)).toMatchObject({ status: 'CANCELLED', content: 'Partial' });
    expect((await survivor.tokenLog.range(orphan.id, -1)).at(-1)!.done).toBe(true);

    const sweeper = replica(0);
    const stale = await streamingReply();
    await new Promise((resolve) => setTimeout(resolve, 700));
    await sweeper.generations.sweep();
    expect(await stored(stale.id)).toMatchObject({ status: 'FAILED', errorCode: 'PROVIDER_UNAVAILABLE' });
  });

  it('a live generation renews its lease, so the sweep leaves it alone; shutdown ends it FAILED', async () => {
    const slow = replica(150, 300);
    const message = await streamingReply();
    slow.generations.start(job(message));
    // Longer than three missed renewals would be.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    await slow.generations.sweep();
    expect((await stored(message.id)).status).toBe('STREAMING');
    await slow.generations.shutdown();
    expect((await stored(message.id)).status).toBe('FAILED');
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedChatProvider, type ChatPassage } from '@voiceassist/ai';
import type { Viewer } from '@voiceassist/auth';
import { sql } from '@voiceassist/database';
import { eq } from 'drizzle-orm';
import { erasureLedger } from '@voiceassist/database/erased-users';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { createPubSub, type PubSub } from '@voiceassist/pubsub';
import { createRedis, type Redis } from '@voiceassist/redis';
import { testEnv } from '@voiceassist/testkit/env';
import { findDatabaseTraces } from '@voiceassist/testkit/traces';
import { waitUntil } from '@voiceassist/testkit/wait';
import { createChat, type Chat } from './chat.js';
import { createConversationStore, type ConversationStore } from './conversations.js';
import { conversations, erasedUsers } from './db/schema.js';
import { conversationEnvSchema } from './env.js';
import { createConversationErasure, type ConversationErasure } from './erasure.js';
import { createFeedback } from './feedback.js';
import { createGenerations, type Generations } from './generation.js';
import { ragAlwaysOn } from './rag-switch.js';
import { openTestDatabase } from '@voiceassist/testkit/database';
import { conversationDatabase } from './db/database.js';
import { createTokenLog, type TokenLog } from './token-log.js';
import { budgetsFromEnv, createUsage, type Usage } from './usage.js';

// A person's conversations, replies (with their token logs in Redis when REDIS_URL is set) and
// usage, then their erasure: nothing in the conversation schema names them or holds their words.

const MARKER = 'zebrafinch';
const OTHER_MARKER = 'kingfisher';
const PASSAGES: ChatPassage[] = [{ id: 'chunk-1', text: 'Hypertension care: measure blood pressure twice, then weekly.' }];
const namespace = `erasure-test-${randomUUID()}`;
const viewerOf = (userId: string): Viewer => ({ userId, role: 'USER', sessionId: randomUUID(), expiresAt: new Date(Date.now() + 3_600_000) });

let db: Awaited<ReturnType<typeof openTestDatabase>>;
let redis: Redis | undefined;
let pubsub: PubSub;
let tokenLog: TokenLog;
let generations: Generations;
let store: ConversationStore;
let usage: Usage;
let chat: Chat;
let erasure: ConversationErasure;

beforeAll(async () => {
  db = await openTestDatabase(conversationDatabase);
  const { db: database } = db.database;
  if (testEnv.REDIS_URL) redis = createRedis({ url: testEnv.REDIS_URL, keyPrefix: `${namespace}:` });
  pubsub = createPubSub({ redisUrl: testEnv.REDIS_URL, namespace });
  tokenLog = createTokenLog({ redis, pubsub, namespace, ttlSeconds: 60 });
  store = createConversationStore(database);
  usage = createUsage(database, budgetsFromEnv(loadEnv(conversationEnvSchema, {})));
  generations = createGenerations({
    db: database,
    store,
    usage,
    tokenLog,
    pubsub,
    provider: createEmbeddedChatProvider({ tokenDelayMs: 0 }),
    knowledge: { limit: 5, search: async () => PASSAGES },
    ragSwitch: ragAlwaysOn,
    logger: createLogger({ service: 'test', level: 'silent' }),
    idleTimeoutMs: 10_000,
  });
  chat = createChat({ db: database, store, usage, generations, tokenLog, historyMessages: 20 });
  erasure = createConversationErasure({ db: database, chat });
});

afterAll(async () => {
  await generations?.shutdown();
  await pubsub?.close();
  await redis?.quit();
  await db?.close();
});

const caller = { authorization: undefined, requestId: 'erasure-test' };

/** A conversation with `turns` questions and their finished replies; returns the reply ids. */
async function converse(userId: string, turns: number, word = MARKER): Promise<string[]> {
  const conversation = await store.create(userId, undefined);
  const replies: string[] = [];
  for (let i = 0; i < turns; i++) {
    const [fresh] = await store.byIds([conversation.id]);
    const { assistantMessage } = await chat.send(viewerOf(userId), fresh!, `How is hypertension measured in the ${word} protocol, part ${i}?`, true, caller);
    await waitUntil(async () => (await store.messagesByIds([assistantMessage.id]))[0]?.status === 'COMPLETE');
    replies.push(assistantMessage.id);
  }
  return replies;
}

const scan = (needles: string[]) => findDatabaseTraces((statement) => db.database.query(sql.raw(statement)), ['conversation'], needles);

describe('erasing a person from conversation', () => {
  it('removes their conversations, messages, ratings, reply prompts, usage and token logs, leaves others alone, and can run again', async () => {
    const person = randomUUID();
    const other = randomUUID();
    const replies = [...(await converse(person, 2)), ...(await converse(person, 1))];
    const othersReplies = await converse(other, 1, OTHER_MARKER);
    // A reply prompt left by a generator that died (normally removed when the reply ends).
    await store.savePrompt({ messageId: replies[0]!, userId: person, prompt: [{ role: 'user', content: `the ${MARKER} question` }], passages: PASSAGES });
    // Their rating of a reply, with a comment in their words.
    const [rated] = await store.messagesByIds([replies[1]!]);
    await createFeedback(db.database.db).rate(rated!, { rating: 'NEGATIVE', reason: 'INCOMPLETE', comment: `missed the ${MARKER} step` });

    // Their conversations' running summaries (memory) are theirs too.
    await db.database.db.update(conversations).set({ memorySummary: `The user said: the ${MARKER} plan.` }).where(eq(conversations.ownerId, person));

    const exported = await erasure.exportData(person);
    expect(exported.conversations).toHaveLength(2);
    expect(exported.conversations[0]!.memorySummary).toContain(MARKER);
    expect(exported.conversations.flatMap((c) => c.messages)).toHaveLength(6);
    expect(exported.usage.map((u) => u.messageId).sort()).toEqual([...replies].sort());
    expect(exported.ratings).toEqual([expect.objectContaining({ messageId: replies[1], rating: 'NEGATIVE', reason: 'INCOMPLETE', comment: `missed the ${MARKER} step` })]);
    expect((await scan([person])).length).toBeGreaterThan(0);
    expect((await scan([MARKER])).length).toBeGreaterThan(0);
    for (const id of replies) expect(await tokenLog.exists(id), id).toBe(true);

    await erasure.erase(person);

    // Only the other person's words remain; nothing names the erased person.
    expect(await scan([person, MARKER])).toEqual([]);
    expect((await scan([OTHER_MARKER])).length).toBeGreaterThan(0);
    for (const id of replies) expect(await tokenLog.exists(id), id).toBe(false);
    expect(await tokenLog.exists(othersReplies[0]!)).toBe(true);
    expect((await erasure.exportData(other)).conversations).toHaveLength(1);
    const ledger = erasureLedger(db.database.db, erasedUsers);
    expect(await ledger.progress(person)).toEqual({ state: 'DONE', at: expect.any(Date) });
    expect(await ledger.progress(other)).toEqual({ state: 'PENDING', at: null });

    await erasure.erase(person);
    expect(await scan([person, MARKER])).toEqual([]);
    expect(await erasure.exportData(person)).toEqual({ conversations: [], ratings: [], usage: [] });
  });

  it('records no usage for a reply that ends after its author was erased', async () => {
    const person = randomUUID();
    await erasure.erase(person);
    await db.database.db.transaction((tx) => usage.record(tx, { userId: person, messageId: randomUUID(), promptTokens: 3, completionTokens: 4, model: 'late' }));
    expect(await scan([person])).toEqual([]);
    const other = randomUUID();
    await db.database.db.transaction((tx) => usage.record(tx, { userId: other, messageId: randomUUID(), promptTokens: 3, completionTokens: 4, model: 'kept' }));
    expect((await usage.spent([other])).get(other)).toEqual({ promptTokens: 3, completionTokens: 4 });
  });
});

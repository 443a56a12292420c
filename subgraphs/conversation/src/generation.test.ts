import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import { composeExtractiveAnswer, createEmbeddedChatProvider, createOpenAIChatProvider, createOpenAIClient, splitIntoTokens, type ChatPassage, type ChatProvider } from '@voiceassist/ai';
import { startFakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import '@voiceassist/testkit/openai-server/chat';
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
import { openTestDatabase } from '@voiceassist/testkit/database';
import { conversationDatabase } from './db/database.js';
import { createTokenLog, type TokenLog, type TokenLogEntry } from './token-log.js';
import { messages, tokenUsage } from './db/schema.js';
import { budgetsFromEnv, createUsage } from './usage.js';

// Two replicas of the generation machinery sharing one database and one pub/sub namespace (Redis
// when REDIS_URL is set): a cancel sent to either reaches the one generating.

const redisUrl = testEnv.REDIS_URL || undefined;
const namespace = `generation-test-${randomUUID()}`;
const logger = createLogger({ service: 'test', level: 'silent' });
const closers: Array<() => Promise<unknown>> = [];
let db: { database: DatabaseHandle; close(): Promise<void> };

const PASSAGES: ChatPassage[] = Array.from({ length: 3 }, (_, i) => ({
  id: `chunk-${i}`,
  text: `Hypertension step ${i} involves measuring blood pressure again. Hypertension step ${i} then adjusts treatment for the patient.`,
}));
/** Passages without a knowledge subgraph: the embedded provider answers at length from them. */
const knowledge: KnowledgeSearch = { limit: 5, search: async () => PASSAGES };

interface Replica {
  generations: Generations;
  tokenLog: TokenLog;
}

interface ReplicaOptions {
  provider?: ChatProvider;
  heartbeatMs?: number;
  takeoverAfterMs?: number;
  idleTimeoutMs?: number;
}

function replica(tokenDelayMs: number, heartbeatMs = 200, options: ReplicaOptions = {}): Replica {
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
    provider: options.provider ?? createEmbeddedChatProvider({ tokenDelayMs }),
    knowledge,
    ragSwitch: ragAlwaysOn,
    logger,
    idleTimeoutMs: options.idleTimeoutMs ?? 5_000,
    heartbeatMs: options.heartbeatMs ?? heartbeatMs,
    ...(options.takeoverAfterMs ? { takeoverAfterMs: options.takeoverAfterMs } : {}),
    cancelWaitMs: 500,
  });
  closers.push(async () => {
    await generations.shutdown();
    await pubsub.close();
    await redis?.quit();
  });
  return { generations, tokenLog };
}

const HOUR = 3_600_000;

/**
 * A replica whose process froze mid-reply, as kill -9 looks to the others: it renews no lease
 * and sweeps nothing (its timers are an hour apart), and its provider stream is stuck after
 * `tokens` tokens. `thaw` lets it run again (a zombie), to show it then writes nothing.
 */
function crashedReplica(options: { tokens: number; provider?: ChatProvider }) {
  let thaw!: () => void;
  const thawed = new Promise<void>((resolve) => (thaw = resolve));
  const inner = options.provider ?? createEmbeddedChatProvider({ tokenDelayMs: 0 });
  const provider: ChatProvider = options.provider
    ? inner
    : {
        model: inner.model,
        async *stream(messages, streamOptions) {
          let sent = 0;
          for await (const chunk of inner.stream(messages, streamOptions)) {
            if ('delta' in chunk && sent++ === options.tokens) await thawed;
            yield chunk;
          }
        },
      };
  // Before its own closer, which shuts it down: a frozen stream would never end.
  closers.push(async () => thaw());
  return { ...replica(0, HOUR, { provider, idleTimeoutMs: HOUR }), thaw };
}

/** Follows a reply's log to its end, noting when each entry arrived. */
async function followToEnd(tokenLog: TokenLog, messageId: string, afterIndex = -1) {
  const entries: Array<TokenLogEntry & { at: number }> = [];
  for await (const entry of tokenLog.follow(messageId, afterIndex)) entries.push({ ...entry, at: Date.now() });
  return entries;
}

/** Resolves once the log holds `count` entries (what a follower has seen by then). */
async function firstEntries(tokenLog: TokenLog, messageId: string, count: number) {
  const entries: Array<TokenLogEntry & { at: number }> = [];
  for await (const entry of tokenLog.follow(messageId, -1)) {
    entries.push({ ...entry, at: Date.now() });
    if (entries.length === count) break;
  }
  return entries;
}

const usageRows = (messageId: string) => db.database.db.select().from(tokenUsage).where(eq(tokenUsage.messageId, messageId));

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
  db = await openTestDatabase(conversationDatabase);
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

describe(`replies outlive their replica (${redisUrl ? 'Redis' : 'in-process'} token log)`, () => {
  const ANSWER = composeExtractiveAnswer('hypertension steps', PASSAGES);

  it('a reply whose replica crashed is continued by one live replica within seconds, from its text, with no index missing or repeated', async () => {
    const crashed = crashedReplica({ tokens: 4 });
    // Two live replicas with the default lease timings (1 s heartbeat, taken over after 3 s): both sweep, one continues.
    const live = [replica(5, 1_000), replica(5, 1_000)];
    const message = await streamingReply();
    const streamed = followToEnd(live[0]!.tokenLog, message.id);
    crashed.generations.start(job(message));
    const beforeCrash = await firstEntries(live[1]!.tokenLog, message.id, 4);
    const crashedAt = beforeCrash.at(-1)!.at;
    // A client whose subscription broke with the crash comes back with the last index it saw.
    const resubscribed = await followToEnd(live[1]!.tokenLog, message.id, 3);

    const entries = await streamed;
    expect(entries.map((e) => e.index)).toEqual([...Array(entries.length).keys()]);
    expect(entries.at(-1)!.done).toBe(true);
    const text = entries.map((e) => e.delta).join('');
    expect(text).toBe(ANSWER);
    expect(splitIntoTokens(ANSWER).length).toBeGreaterThan(8);
    expect(resubscribed.map((e) => e.index)).toEqual(entries.slice(4).map((e) => e.index));
    expect(resubscribed.map((e) => e.delta).join('')).toBe(ANSWER.slice(beforeCrash.map((e) => e.delta).join('').length));
    // Continued once its lease had lapsed, and within a few seconds of the crash.
    const continuedAt = entries[4]!.at;
    expect(continuedAt - crashedAt).toBeGreaterThan(2_000);
    expect(continuedAt - crashedAt).toBeLessThan(6_000);

    const row = await stored(message.id);
    expect(row).toMatchObject({ status: 'COMPLETE', content: text, errorCode: null, citations: ['chunk-0', 'chunk-1', 'chunk-2'] });
    // Spent once: the text the crashed replica left and the rest.
    const usage = await usageRows(message.id);
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ promptTokens: row.promptTokens, completionTokens: row.completionTokens });
    expect(row.completionTokens).toBeGreaterThan(splitIntoTokens(ANSWER).length - 4);

    // The crashed replica coming back to life writes nothing over it.
    crashed.thaw();
    await crashed.generations.shutdown();
    expect(await stored(message.id)).toMatchObject({ status: 'COMPLETE', content: text });
    expect((await live[0]!.tokenLog.range(message.id, -1)).map((e) => e.delta).join('')).toBe(text);
    expect(await usageRows(message.id)).toHaveLength(1);
  });

  it('a generator whose lease another replica took stops at its next heartbeat and stores nothing', async () => {
    // Tokens slow enough that the reply would not end by itself in the time it is given to stop.
    const slow = replica(200, 300);
    const message = await streamingReply();
    slow.generations.start(job(message));
    await firstEntries(slow.tokenLog, message.id, 3);
    // Another replica claimed it (this one looked dead to it).
    await db.database.db.update(messages).set({ generatorId: 'another-replica' }).where(eq(messages.id, message.id));
    await expect.poll(() => slow.generations.isActive(message.id), { timeout: 3_000, interval: 50 }).toBe(false);
    const logged = await slow.tokenLog.range(message.id, -1);
    expect(logged.some((e) => e.done)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await slow.tokenLog.range(message.id, -1)).toHaveLength(logged.length);
    expect(await stored(message.id)).toMatchObject({ status: 'STREAMING', content: '' });
    expect(await usageRows(message.id)).toHaveLength(0);
    // Ended here, so no replica of a later test takes it over.
    await db.database.db.update(messages).set({ status: 'CANCELLED' }).where(eq(messages.id, message.id));
  });

  it('of replicas claiming a lapsed reply at once, exactly one gets it', async () => {
    const store = createConversationStore(db.database.db);
    const message = await streamingReply();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claimStale(message.id, `replica-${i}`, 200)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    // Its lease is fresh now: nobody else may claim it.
    expect(await store.claimStale(message.id, 'late', 200)).toBeUndefined();
  });

  describe('with an OpenAI-compatible provider', () => {
    const REPLY = 'Measure the blood pressure twice, a week apart, then start treatment when both readings are high, and review it after a month.';

    async function openAIReplicas() {
      const fake = await startFakeOpenAIServer({ chatReply: REPLY, chatStallAfterChunks: 3 });
      closers.push(() => fake.close());
      const provider = () => createOpenAIChatProvider({ client: createOpenAIClient({ baseUrl: fake.baseUrl, apiKey: 'sk-test', timeoutMs: 10_000 }), model: 'fake-chat' });
      const crashed = crashedReplica({ tokens: 3, provider: provider() });
      const live = replica(0, 1_000, { provider: provider() });
      const message = await streamingReply();
      crashed.generations.start(job(message));
      const beforeCrash = await firstEntries(live.tokenLog, message.id, 3);
      // From now on the server streams whole answers: the crashed replica's stream stays stuck.
      delete fake.behaviour.chatStallAfterChunks;
      return { fake, live, message, beforeCrash };
    }

    it('the replica taking over sends the text so far as the assistant prefix and streams only the rest', async () => {
      const { fake, live, message, beforeCrash } = await openAIReplicas();
      const entries = await followToEnd(live.tokenLog, message.id);
      expect(entries.map((e) => e.index)).toEqual([...Array(entries.length).keys()]);
      expect(entries.map((e) => e.delta).join('')).toBe(REPLY);
      expect(entries[3]!.at - beforeCrash.at(-1)!.at).toBeLessThan(6_000);

      const [first, second] = fake.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.json<{ messages: Array<{ role: string; content: string }> }>().messages);
      const prefix = beforeCrash.map((e) => e.delta).join('');
      // The same prompt, rebuilt from what was saved (passages included), then the prefix.
      expect(second).toEqual([...first!, { role: 'assistant', content: prefix }]);
      expect(first![0]!.content).toContain(PASSAGES[0]!.text);
      expect(await stored(message.id)).toMatchObject({ status: 'COMPLETE', content: REPLY, model: 'fake-chat' });
      expect(await usageRows(message.id)).toHaveLength(1);
    });

    it('stores each [n] of the reply as the model judged it against its passage, and counts what judging cost', async () => {
      const answer = 'Blood pressure is measured again at step 0 [1]. Step 1 cures hypertension for good [2].';
      const fake = await startFakeOpenAIServer({
        // The judge agrees only where the passage is step 0's; the reply itself is `answer`.
        chatReplyFor: (sent: Array<{ content: string }>) => (sent[0]!.content.startsWith('You check citations') ? (sent.at(-1)!.content.includes('step 0') ? 'yes' : 'no') : answer),
      });
      closers.push(() => fake.close());
      const live = replica(0, 1_000, { provider: createOpenAIChatProvider({ client: createOpenAIClient({ baseUrl: fake.baseUrl, apiKey: 'sk-test', timeoutMs: 10_000 }), model: 'fake-chat' }) });
      const message = await streamingReply();
      live.generations.start(job(message));
      await expect.poll(async () => (await stored(message.id)).status, { timeout: 10_000, interval: 100 }).toBe('COMPLETE');
      const row = await stored(message.id);
      expect(row.content).toBe(answer);
      expect(row.citationChecks).toEqual([
        { marker: 1, passageId: 'chunk-0', verified: true },
        { marker: 2, passageId: 'chunk-1', verified: false },
      ]);
      // The reply and two verdicts.
      expect(fake.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(3);
      expect(row.completionTokens).toBe(answer.split(' ').length + 2);
    });

    it('where the provider cannot continue, the reply ends FAILED (PROVIDER_UNAVAILABLE) within 10 s of the crash, keeping its text', async () => {
      const { fake, live, message, beforeCrash } = await openAIReplicas();
      fake.behaviour.chatFailStatus = 503;
      const rest = await followToEnd(live.tokenLog, message.id, 2);
      expect(rest).toEqual([expect.objectContaining({ index: 3, done: true })]);
      expect(rest[0]!.at - beforeCrash.at(-1)!.at).toBeLessThan(10_000);
      expect(await stored(message.id)).toMatchObject({ status: 'FAILED', errorCode: 'PROVIDER_UNAVAILABLE', content: beforeCrash.map((e) => e.delta).join('') });
    });
  });

  it('a reply whose token log is gone (Redis flushed) ends FAILED within 10 s of the crash instead of starting over', async () => {
    const crashed = crashedReplica({ tokens: 3 });
    const live = replica(0, 1_000);
    const message = await streamingReply();
    crashed.generations.start(job(message));
    const beforeCrash = await firstEntries(live.tokenLog, message.id, 3);
    if (redisUrl) {
      const redis = createRedis({ url: redisUrl, keyPrefix: `${namespace}:` });
      await redis.del(`conversation:tokens:${message.id}`);
      await redis.quit();
    } else {
      await live.tokenLog.delete([message.id]);
    }
    await expect.poll(async () => (await stored(message.id)).status, { timeout: 10_000, interval: 100 }).toBe('FAILED');
    expect(Date.now() - beforeCrash.at(-1)!.at).toBeLessThan(10_000);
    expect(await stored(message.id)).toMatchObject({ errorCode: 'PROVIDER_UNAVAILABLE' });
  });
});

describe('lease settings', () => {
  it('default to a 1 s heartbeat and a takeover after 3 s, and refuse a takeover sooner than two heartbeats', () => {
    expect(loadEnv(conversationEnvSchema, {})).toMatchObject({ CHAT_HEARTBEAT_MS: 1_000, CHAT_TAKEOVER_AFTER_MS: 3_000 });
    expect(() => loadEnv(conversationEnvSchema, { CHAT_HEARTBEAT_MS: '2000', CHAT_TAKEOVER_AFTER_MS: '3000' })).toThrow(/CHAT_TAKEOVER_AFTER_MS/);
  });
});

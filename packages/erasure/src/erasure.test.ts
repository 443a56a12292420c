import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@voiceassist/logging';
import { createInProcessPubSub, createRedisPubSub, type PubSub } from '@voiceassist/pubsub';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';
import { waitUntil } from '@voiceassist/testkit/wait';
import {
  ERASURE_CONFIRMED_TOPIC,
  erasuresUrl,
  httpErasureSource,
  startErasureConsumer,
  USER_ERASED_TOPIC,
  type ErasureConfirmation,
  type ErasureConsumer,
  type ErasureFeedEntry,
} from './index.js';

const logger = createLogger({ service: 'erasure-test', level: 'silent' });

/** Identity's `/erasures` route as far as a consumer can tell: a list, `since` filtering, a switch to fail. */
class FeedServer {
  readonly entries: ErasureFeedEntry[] = [];
  readonly sinceAsked: Array<number | null> = [];
  status = 200;
  body: unknown = undefined;
  private server: Server | undefined;
  url = '';

  async start() {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const raw = url.searchParams.get('since');
      this.sinceAsked.push(raw === null ? null : Number(raw));
      const since = raw === null ? undefined : Number(raw);
      const listed = this.entries.filter((e) => since === undefined || e.requestedAt >= since || e.confirmedBy.length < 4);
      res.writeHead(this.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.body ?? { asOf: Date.now(), erasures: listed }));
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/erasures`;
  }

  async stop() {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** A subgraph's side: what it holds, its erased_users table, and the confirmations it sent. */
function subgraphState(pubsub: PubSub) {
  const held = new Set<string>();
  const erasedUsers = new Map<string, Date>();
  const erasures: string[] = [];
  const confirmations: Array<ErasureConfirmation & { erasedFirst: boolean }> = [];
  const listening = pubsub.subscribe<ErasureConfirmation>(ERASURE_CONFIRMED_TOPIC);
  void (async () => {
    for await (const confirmation of listening) confirmations.push({ ...confirmation, erasedFirst: erasures.includes(confirmation.userId) });
  })();
  let failuresLeft = 0;
  return {
    held,
    erasedUsers,
    erasures,
    confirmations,
    failNextErasures(count: number) {
      failuresLeft = count;
    },
    hooks: {
      erase: async (userId: string) => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('database unavailable');
        }
        erasures.push(userId);
        held.delete(userId);
      },
      isErased: async (userId: string) => erasedUsers.has(userId),
      markErased: async (userId: string, at: Date) => void erasedUsers.set(userId, at),
    },
    stop: () => listening.return?.(),
  };
}

const backends: Array<[string, () => Promise<{ pubsub: PubSub; close(): Promise<void> }>]> = [
  ['in-process', async () => ({ pubsub: createInProcessPubSub(randomUUID()), close: async () => {} })],
  [
    'redis',
    async () => {
      const server: TestRedisServer = await startRedisServer();
      const pubsub = createRedisPubSub({ url: server.url, keyPrefix: `test:${randomUUID()}:` });
      return {
        pubsub,
        close: async () => {
          await pubsub.close();
          await server.stop();
        },
      };
    },
  ],
];

describe.each(backends)('the erasure consumer on %s pub/sub', (_name, makePubSub) => {
  let feed: FeedServer;
  let bus: { pubsub: PubSub; close(): Promise<void> };
  const consumers: ErasureConsumer[] = [];
  const states: Array<{ stop(): unknown }> = [];

  beforeAll(async () => {
    bus = await makePubSub();
  });
  afterAll(() => bus.close());

  const start = async (overrides: { intervalMs?: number; retryMs?: number } = {}, prepare: (feed: FeedServer) => void = () => {}) => {
    feed = new FeedServer();
    prepare(feed);
    await feed.start();
    const state = subgraphState(bus.pubsub);
    states.push(state);
    const consumer = startErasureConsumer({ subgraph: 'voice', pubsub: bus.pubsub, source: httpErasureSource(feed.url), logger, intervalMs: 60_000, ...overrides, ...state.hooks });
    consumers.push(consumer);
    return { state, consumer };
  };

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
    for (const s of states.splice(0)) await s.stop();
    await feed.stop();
  });

  it('catches up at start: erases everyone not yet erased, once, and confirms what identity has not recorded', async () => {
    const [fresh, erasedBefore, confirmedBefore] = [randomUUID(), randomUUID(), randomUUID()];
    const { state, consumer } = await start();
    feed.entries.push(
      { userId: fresh, requestedAt: Date.now() - 5_000, confirmedBy: ['conversation'] },
      { userId: erasedBefore, requestedAt: Date.now() - 4_000, confirmedBy: [] },
      { userId: confirmedBefore, requestedAt: Date.now() - 3_000, confirmedBy: ['voice'] },
    );
    state.erasedUsers.set(erasedBefore, new Date(0));
    state.erasedUsers.set(confirmedBefore, new Date(0));

    const report = await consumer.sync();
    expect(report).toEqual({ erased: [fresh], confirmed: [fresh, erasedBefore], failed: [] });
    expect(state.erasures).toEqual([fresh]);
    expect(state.erasedUsers.get(fresh)!.getTime()).toBeGreaterThan(Date.now() - 5_000);
    await waitUntil(() => state.confirmations.length >= 2);
    expect(state.confirmations.map((c) => [c.userId, c.subgraph]).sort()).toEqual([[erasedBefore, 'voice'], [fresh, 'voice']].sort());

    // The first pass read the whole feed; later ones ask from its asOf (with an overlap).
    expect(feed.sinceAsked[0]).toBeNull();
    const again = await consumer.sync();
    expect(feed.sinceAsked.at(-1)).toEqual(expect.any(Number));
    expect(feed.sinceAsked.at(-1)!).toBeLessThan(Date.now());
    expect(again.erased).toEqual([]);
    expect(state.erasures).toEqual([fresh]);
  });

  it('reads the feed when identity announces a deletion, and an announcement alone erases nothing', async () => {
    const { state, consumer } = await start();
    await consumer.sync();
    const announced = randomUUID();
    const forged = randomUUID();
    state.held.add(announced).add(forged);
    feed.entries.push({ userId: announced, requestedAt: Date.now(), confirmedBy: [] });

    await bus.pubsub.publish(USER_ERASED_TOPIC, { userId: forged, requestedAt: Date.now() });
    await waitUntil(() => state.erasures.includes(announced), 5_000);
    await waitUntil(() => state.confirmations.some((c) => c.userId === announced && c.subgraph === 'voice'), 5_000);
    expect(state.held.has(forged)).toBe(true);
    expect(state.erasures).toEqual([announced]);
  });

  it('retries a feed that is down at start and an erasure that failed, confirming only once erased', async () => {
    const userId = randomUUID();
    const { state, consumer } = await start({ retryMs: 50 }, (down) => {
      down.status = 503;
      down.body = { error: 'starting' };
      down.entries.push({ userId, requestedAt: Date.now(), confirmedBy: [] });
    });
    await waitUntil(() => feed.sinceAsked.length >= 2, 5_000);
    expect(consumer.status()).toMatchObject({ synced: false, failing: true });
    expect(state.erasures).toEqual([]);

    state.failNextErasures(1);
    feed.status = 200;
    feed.body = undefined;
    await waitUntil(() => state.erasures.includes(userId), 5_000);
    await waitUntil(() => state.confirmations.some((c) => c.userId === userId), 5_000);
    expect(state.confirmations.filter((c) => c.userId === userId).map((c) => c.erasedFirst)).toEqual([true]);
    expect(consumer.status()).toMatchObject({ synced: true, failing: false });
  });
});

describe('httpErasureSource', () => {
  let feed: FeedServer;
  beforeAll(async () => {
    feed = new FeedServer();
    await feed.start();
  });
  afterAll(() => feed.stop());

  it('passes since, keeps well-formed entries and refuses an answer that is not a feed', async () => {
    const userId = randomUUID();
    feed.body = { asOf: 1234, erasures: [{ userId, requestedAt: 1000, confirmedBy: ['flags'] }, { userId: 42 }, null] };
    expect(await httpErasureSource(feed.url)(999.7)).toEqual({ asOf: 1234, erasures: [{ userId, requestedAt: 1000, confirmedBy: ['flags'] }] });
    expect(feed.sinceAsked.at(-1)).toBe(999);

    feed.body = { erasures: 'no' };
    await expect(httpErasureSource(feed.url)()).rejects.toThrow(/unexpected body/);
    feed.status = 500;
    await expect(httpErasureSource(feed.url)()).rejects.toThrow(/HTTP 500/);
  });

  it('defaults to /erasures beside identity’s JWKS', () => {
    expect(erasuresUrl({ JWKS_URL: 'http://identity:4001/.well-known/jwks.json' })).toBe('http://identity:4001/erasures');
    expect(erasuresUrl({ JWKS_URL: 'http://identity:4001/.well-known/jwks.json', ERASURES_URL: 'http://other/e' })).toBe('http://other/e');
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import { createRedis, type Redis } from '@voiceassist/redis';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';
import { waitUntil } from '@voiceassist/testkit/wait';
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from './index.js';

const redisUrl = testEnv.REDIS_URL;
const redis = redisUrl ? createRedis({ url: redisUrl }) : undefined;
afterAll(() => redis?.quit());

const backends: Array<[string, () => RateLimiter]> = [['memory', () => createMemoryRateLimiter()]];
if (redis) backends.push(['redis', () => createRedisRateLimiter(redis, `test:${randomUUID()}:`)]);

describe.each(backends)('%s rate limiter', (_name, make) => {
  it('allows up to the limit in a window, then refuses with the time left', async () => {
    const limiter = make();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.hit('login:a@example.com', 3, 60_000));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results[3]!.retryAfterMs).toBeGreaterThan(50_000);
    expect(results[3]!.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect((await limiter.hit('login:b@example.com', 3, 60_000)).allowed).toBe(true);
  });

  it('opens a new window once the old one has passed', async () => {
    const limiter = make();
    expect((await limiter.hit('k', 1, 50)).allowed).toBe(true);
    expect((await limiter.hit('k', 1, 50)).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 80));
    expect((await limiter.hit('k', 1, 50)).allowed).toBe(true);
  });
});

describe('the Redis rate limiter while Redis is away', () => {
  let server: TestRedisServer;
  let own: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    own = createRedis({ url: server.url });
  });
  afterAll(async () => {
    await own?.quit();
    await server?.stop();
  });

  it('counts per instance in memory at once, and in Redis again once it is back', async () => {
    const limiter = createRedisRateLimiter(own, `test:${randomUUID()}:`);
    const other = createRedisRateLimiter(own, `test:${randomUUID()}:`);
    expect((await limiter.hit('k', 2, 60_000)).count).toBe(1);

    await server.kill();
    const results = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      results.push(await limiter.hit('k', 2, 60_000));
      expect(performance.now() - started).toBeLessThan(500);
    }
    // Memory starts its own window: the limit still holds within this instance.
    expect(results.map((r) => [r.allowed, r.count])).toEqual([[true, 1], [true, 2], [false, 3]]);
    // Another limiter (another instance) has its own memory.
    expect((await other.hit('k', 2, 60_000)).count).toBe(1);

    await server.restart();
    await waitUntil(() => own.status === 'ready');
    // Back on Redis (restarted empty), shared by both instances again.
    expect((await limiter.hit('k', 2, 60_000)).count).toBe(1);
    expect((await other.hit('k', 2, 60_000)).count).toBe(1);
    const shared = createRedisRateLimiter(own, 'shared:');
    await shared.hit('s', 5, 60_000);
    expect((await createRedisRateLimiter(own, 'shared:').hit('s', 5, 60_000)).count).toBe(2);
  });
});

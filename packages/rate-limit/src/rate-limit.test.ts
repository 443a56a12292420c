import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '@voiceassist/redis';
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from './index.js';

const redisUrl = process.env.REDIS_URL;
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

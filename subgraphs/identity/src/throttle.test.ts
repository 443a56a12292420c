import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { errorCode } from '@voiceassist/errors';
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from '@voiceassist/rate-limit';
import { createRedis } from '@voiceassist/redis';
import { createAuthThrottle } from './throttle.js';

const redisUrl = process.env.REDIS_URL;
const redis = redisUrl ? createRedis({ url: redisUrl }) : undefined;
afterAll(() => redis?.quit());

const backends: Array<[string, () => RateLimiter]> = [['memory', () => createMemoryRateLimiter()]];
if (redis) backends.push(['redis', () => createRedisRateLimiter(redis, `test:${randomUUID()}:`)]);

async function outcome(attempt: Promise<void>) {
  try {
    await attempt;
    return 'allowed';
  } catch (error) {
    const extensions = (error as { extensions?: Record<string, unknown> }).extensions;
    return `${errorCode(error)} ${String(extensions?.retryAfterSeconds)}`;
  }
}

describe.each(backends)('auth throttle (%s)', (_name, make) => {
  it('allows the limit per minute from one IP, then refuses with the seconds to wait', async () => {
    const throttle = createAuthThrottle(make(), 3);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await outcome(throttle.attempt('login', { ip: '198.51.100.1', email: `user${i}@example.com` })));
    expect(results.slice(0, 3)).toEqual(['allowed', 'allowed', 'allowed']);
    expect(results[3]).toMatch(/^RATE_LIMITED (\d+)$/);
    const seconds = Number(results[3]!.split(' ')[1]);
    expect(seconds).toBeGreaterThanOrEqual(59);
    expect(seconds).toBeLessThanOrEqual(60);
  });

  it('counts one email across many IPs', async () => {
    const throttle = createAuthThrottle(make(), 2);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await outcome(throttle.attempt('login', { ip: `198.51.100.${i}`, email: 'target@example.com' })));
    expect(results.map((r) => r.split(' ')[0])).toEqual(['allowed', 'allowed', 'RATE_LIMITED']);
  });

  it('keeps actions and other callers apart', async () => {
    const throttle = createAuthThrottle(make(), 1);
    expect(await outcome(throttle.attempt('login', { ip: '192.0.2.1', email: 'a@example.com' }))).toBe('allowed');
    expect(await outcome(throttle.attempt('register', { ip: '192.0.2.1', email: 'a@example.com' }))).toBe('allowed');
    expect(await outcome(throttle.attempt('login', { ip: '192.0.2.2', email: 'b@example.com' }))).toBe('allowed');
    expect((await outcome(throttle.attempt('login', { ip: '192.0.2.1', email: 'c@example.com' }))).split(' ')[0]).toBe('RATE_LIMITED');
  });
});

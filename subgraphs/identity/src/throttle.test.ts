import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import { errorCode } from '@voiceassist/errors';
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from '@voiceassist/rate-limit';
import { createRedis } from '@voiceassist/redis';
import { createAuthThrottle } from './throttle.js';

const redisUrl = testEnv.REDIS_URL;
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
  const code = (result: string) => result.split(' ')[0];

  it('allows an address the limit per minute at one email, then refuses with the seconds to wait', async () => {
    const throttle = createAuthThrottle(make(), 3);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await outcome(throttle.login({ ip: '198.51.100.1', email: 'user@example.com' })));
    expect(results.slice(0, 3)).toEqual(['allowed', 'allowed', 'allowed']);
    expect(results[3]).toMatch(/^RATE_LIMITED (\d+)$/);
    const seconds = Number(results[3]!.split(' ')[1]);
    expect(seconds).toBeGreaterThanOrEqual(59);
    expect(seconds).toBeLessThanOrEqual(60);
  });

  it('limits an address spraying many emails', async () => {
    const throttle = createAuthThrottle(make(), 2);
    const results = [];
    for (let i = 0; i < 7; i++) results.push(code(await outcome(throttle.login({ ip: '198.51.100.3', email: `user${i}@example.com` }))));
    expect(results).toEqual(['allowed', 'allowed', 'allowed', 'allowed', 'allowed', 'allowed', 'RATE_LIMITED']);
  });

  it('gives each address one attempt an hour at an email under attack, so its owner still gets in', async () => {
    const throttle = createAuthThrottle(make(), 2);
    const email = 'victim@example.com';
    // Guesses from many addresses, two each: past 3 × 2 the email is under attack.
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 2; j++) await outcome(throttle.login({ ip: `203.0.113.${i}`, email }));
    }
    expect(code(await outcome(throttle.login({ ip: '203.0.113.0', email })))).toBe('RATE_LIMITED');
    expect(code(await outcome(throttle.login({ ip: '203.0.113.200', email })))).toBe('allowed');
    expect(code(await outcome(throttle.login({ ip: '203.0.113.200', email })))).toBe('RATE_LIMITED');
    // The owner, from an address that was not guessing, is let in; the right password clears the attack.
    expect(await outcome(throttle.login({ ip: '192.0.2.50', email }))).toBe('allowed');
    await throttle.loginSucceeded({ ip: '192.0.2.50', email });
    expect(await outcome(throttle.login({ ip: '192.0.2.50', email }))).toBe('allowed');
    expect(await outcome(throttle.login({ ip: '192.0.2.50', email }))).toBe('allowed');
  });

  it('does not count successful logins against the address and email', async () => {
    const throttle = createAuthThrottle(make(), 2);
    for (let i = 0; i < 5; i++) {
      expect(await outcome(throttle.login({ ip: '192.0.2.60', email: 'daily@example.com' }))).toBe('allowed');
      await throttle.loginSucceeded({ ip: '192.0.2.60', email: 'daily@example.com' });
    }
  });

  it('keeps actions and other callers apart', async () => {
    const throttle = createAuthThrottle(make(), 1);
    expect(await outcome(throttle.attempt('register', { ip: '192.0.2.1', email: 'a@example.com' }))).toBe('allowed');
    expect(await outcome(throttle.login({ ip: '192.0.2.1', email: 'a@example.com' }))).toBe('allowed');
    expect(await outcome(throttle.attempt('register', { ip: '192.0.2.2', email: 'b@example.com' }))).toBe('allowed');
    expect(code(await outcome(throttle.attempt('register', { ip: '192.0.2.1', email: 'c@example.com' })))).toBe('RATE_LIMITED');
  });
});

describe('auth throttle over time', () => {
  it('makes an address that keeps guessing one email wait longer, up to the hour', async () => {
    let now = 0;
    const throttle = createAuthThrottle(createMemoryRateLimiter(() => now), 2);
    const attempt = () => outcome(throttle.login({ ip: '198.51.100.2', email: 'slow@example.com' }));
    // Two a minute for three minutes spend the hourly allowance (3 × 2).
    for (let minute = 0; minute < 3; minute++) {
      now = minute * 61_000;
      expect([await attempt(), await attempt()]).toEqual(['allowed', 'allowed']);
    }
    now = 4 * 61_000;
    const refused = await attempt();
    expect(refused).toMatch(/^RATE_LIMITED \d+$/);
    expect(Number(refused.split(' ')[1])).toBeGreaterThan(60);
  });
});

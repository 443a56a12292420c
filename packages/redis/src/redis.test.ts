import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';
import { waitUntil } from '@voiceassist/testkit/wait';
import { createRedis, redisConnectionState, RedisAvailability, type Redis } from './index.js';

// A Redis of this test's own, killed and restarted: what a connection does while Redis is away.

let server: TestRedisServer;
const connections: Redis[] = [];
const connect = (options: Partial<Parameters<typeof createRedis>[0]> = {}) => {
  const redis = createRedis({ url: server.url, ...options });
  connections.push(redis);
  return redis;
};

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await Promise.allSettled(connections.map((c) => c.quit()));
  await server?.stop();
});

describe('a Redis connection while Redis is away', () => {
  it('fails commands at once, reports one transition each way, and works again once Redis is back', async () => {
    const availability = new RedisAvailability();
    const changes: boolean[] = [];
    availability.onChange((up) => changes.push(up));
    const redis = connect({ availability });
    const subscriber = connect({ availability, subscriber: true });
    expect(await redis.set('k', 'v')).toBe('OK');
    await waitUntil(() => redisConnectionState(subscriber) === 'up');
    expect(availability.up).toBe(true);

    await server.kill();
    await waitUntil(() => !availability.up);
    // Several reconnect attempts fail meanwhile; still one transition.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(redisConnectionState(redis)).toBe('down');
    const started = performance.now();
    await expect(redis.get('k')).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(100);
    expect(changes).toEqual([false]);

    await server.restart();
    await waitUntil(() => availability.up, 10_000);
    expect(changes).toEqual([false, true]);
    expect(await redis.set('k', 'again')).toBe('OK');
  });

  it('counts a connection that closes on purpose as neither lost nor held', async () => {
    const availability = new RedisAvailability();
    const changes: boolean[] = [];
    availability.onChange((up) => changes.push(up));
    const redis = createRedis({ url: server.url, availability });
    await redis.ping();
    await redis.quit();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(changes).toEqual([]);
    expect(availability.up).toBe(true);
  });

  it('reports a Redis that is not there at start as down, fails queued commands quickly, and closes without a word', async () => {
    const availability = new RedisAvailability();
    const changes: boolean[] = [];
    availability.onChange((up) => changes.push(up));
    const redis = createRedis({ url: 'redis://127.0.0.1:1', availability });
    const started = performance.now();
    await expect(redis.get('k')).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(500);
    expect(availability.up).toBe(false);
    // Its service closing: no reconnect attempts left behind.
    expect(await redis.quit()).toBe('OK');
    let attempts = 0;
    redis.on('reconnecting', () => (attempts += 1));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(attempts).toBe(0);
    // Closed, it no longer counts, and Redis did not come back.
    expect(availability.up).toBe(true);
    expect(changes).toEqual([false]);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import { RedisAvailability } from '@voiceassist/redis';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';
import { waitUntil } from '@voiceassist/testkit/wait';
import { createInProcessPubSub, createRedisPubSub, type PubSub } from './index.js';

const redisUrl = testEnv.REDIS_URL;
const backends: Array<[string, () => PubSub]> = [['in-process', () => createInProcessPubSub(randomUUID())]];
if (redisUrl) backends.push(['redis', () => createRedisPubSub({ url: redisUrl, keyPrefix: `test:${randomUUID()}:` })]);

describe.each(backends)('%s pub/sub', (_name, make) => {
  const pubsub = make();
  afterAll(() => pubsub.close());

  it('delivers events in order to every subscriber of a topic and nothing from other topics', async () => {
    const a = pubsub.subscribe<{ n: number }>('t1');
    const b = pubsub.subscribe<{ n: number }>('t1');
    const other = pubsub.subscribe<{ n: number }>('t2');
    for (let n = 0; n < 5; n++) await pubsub.publish('t1', { n });
    const take = async (it: AsyncIterableIterator<{ n: number }>, count: number) => {
      const out: number[] = [];
      for (let i = 0; i < count; i++) out.push(((await it.next()).value as { n: number }).n);
      return out;
    };
    expect(await take(a, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(await take(b, 5)).toEqual([0, 1, 2, 3, 4]);
    await pubsub.publish('t2', { n: 99 });
    expect(await take(other, 1)).toEqual([99]);
    await Promise.all([a.return?.(), b.return?.(), other.return?.()]);
  });

  it('ends an iterator on return and stops delivering to it', async () => {
    const it1 = pubsub.subscribe<number>('t3');
    await it1.return?.();
    await pubsub.publish('t3', 1);
    expect(await it1.next()).toEqual({ value: undefined, done: true });
  });
});

describe('Redis pub/sub while Redis is away', () => {
  let server: TestRedisServer;
  const instances: PubSub[] = [];
  const instance = (availability?: RedisAvailability) => {
    const pubsub = createRedisPubSub({ url: server.url, keyPrefix: 'outage:', availability });
    instances.push(pubsub);
    return pubsub;
  };
  const next = async <T>(iterator: AsyncIterableIterator<T>, timeoutMs = 2_000) =>
    Promise.race([iterator.next().then((r) => r.value as T), new Promise<'nothing'>((resolve) => setTimeout(() => resolve('nothing'), timeoutMs))]);

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.allSettled(instances.map((p) => p.close()));
    await server?.stop();
  });

  it('delivers to this instance once while Redis is up and while it is down, and across instances again once it is back', async () => {
    const availabilityA = new RedisAvailability();
    const a = instance(availabilityA);
    const availabilityB = new RedisAvailability();
    const b = instance(availabilityB);
    const onA = a.subscribe<{ n: number }>('t');
    const onB = b.subscribe<{ n: number }>('t');
    await a.publish('t', { n: 1 });
    expect(await next(onA)).toEqual({ n: 1 });
    expect(await next(onB)).toEqual({ n: 1 });

    await server.kill();
    await waitUntil(() => !availabilityA.up);
    const started = performance.now();
    await a.publish('t', { n: 2 });
    expect(performance.now() - started).toBeLessThan(500);
    expect(await next(onA)).toEqual({ n: 2 });
    // A subscription opened during the outage comes back with the others.
    const lateOnB = b.subscribe<{ n: number }>('late');

    await server.restart();
    await waitUntil(() => availabilityA.up && availabilityB.up);
    // A publish waits for its own instance's subscriptions: B's are back once this returns.
    await b.publish('unheard', {});
    await a.publish('t', { n: 3 });
    expect(await next(onA)).toEqual({ n: 3 });
    expect(await next(onB)).toEqual({ n: 3 });
    await a.publish('late', { n: 4 });
    expect(await next(lateOnB)).toEqual({ n: 4 });
    // Never twice: nothing else is waiting on A (2 was not echoed later, 1 and 3 came once).
    expect(await next(onA, 300)).toBe('nothing');
  });
});

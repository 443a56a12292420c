import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createInProcessPubSub, createRedisPubSub, type PubSub } from './index.js';

const redisUrl = process.env.REDIS_URL;
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

import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import { createPubSub, type PubSub } from '@voiceassist/pubsub';
import { createRedis, type Redis } from '@voiceassist/redis';
import { createTokenLog, type TokenLog, type TokenLogEntry } from './token-log.js';

// A Redis stream per reply when REDIS_URL is set (CI), memory shared in this process otherwise.
const redisUrl = testEnv.REDIS_URL || undefined;
const namespace = `token-log-test-${randomUUID()}`;
const opened: Array<{ close(): Promise<unknown> }> = [];

function open(options: { ttlSeconds?: number; pubsubNamespace?: string } = {}): TokenLog {
  const pubsub: PubSub = createPubSub({ redisUrl, namespace: options.pubsubNamespace ?? namespace });
  opened.push(pubsub);
  let redis: Redis | undefined;
  if (redisUrl) {
    redis = createRedis({ url: redisUrl, keyPrefix: `${namespace}:` });
    opened.push({ close: () => redis!.quit() });
  }
  return createTokenLog({ redis, pubsub, namespace, ttlSeconds: options.ttlSeconds ?? 60 });
}

afterAll(async () => {
  await Promise.all(opened.map((o) => o.close()));
});

async function collect(entries: AsyncIterable<TokenLogEntry>): Promise<TokenLogEntry[]> {
  const out: TokenLogEntry[] = [];
  for await (const entry of entries) out.push(entry);
  return out;
}

const tokens = (n: number) => Array.from({ length: n }, (_, i) => `${i === 0 ? '' : ' '}t${i}`);

describe(`token log (${redisUrl ? 'Redis stream' : 'in-process'})`, () => {
  it('gives a follower who joined before the first token every token, in order, then the end', async () => {
    const log = open();
    const id = randomUUID();
    const following = collect(log.follow(id, -1));
    const writer = log.writer(id);
    for (const t of tokens(20)) writer.append(t);
    await writer.finish();
    const entries = await following;
    expect(entries.map((e) => e.index)).toEqual([...Array(21).keys()]);
    expect(entries.map((e) => e.delta).join('')).toBe(tokens(20).join(''));
    expect(entries.at(-1)).toEqual({ index: 20, delta: '', done: true });
  });

  it('replays what a late follower missed after the index it gives, then follows live', async () => {
    const log = open();
    const id = randomUUID();
    const writer = log.writer(id);
    for (const t of tokens(5)) writer.append(t);
    await writer.flush();
    const following = collect(log.follow(id, 2));
    for (const t of tokens(10).slice(5)) writer.append(t);
    await writer.finish();
    expect((await following).map((e) => e.index)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    // And once it is finished, straight from the log.
    expect((await collect(log.follow(id, 8))).map((e) => [e.index, e.done])).toEqual([
      [9, false],
      [10, true],
    ]);
  });

  it('catches up by re-reading the log when notices are lost', async () => {
    const writerLog = open();
    // Same store, but this follower never hears the writer's notices.
    const deafLog = open({ pubsubNamespace: `${namespace}-elsewhere` });
    const id = randomUUID();
    const following = collect(deafLog.follow(id, -1, { pollMs: 50 }));
    const writer = writerLog.writer(id);
    for (const t of tokens(6)) writer.append(t);
    await writer.finish();
    expect((await following).map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('ends a follow whose reply is no longer generated, and one whose log is deleted', async () => {
    const log = open();
    const abandoned = randomUUID();
    const halfWriter = log.writer(abandoned);
    halfWriter.append('half');
    await halfWriter.flush();
    expect(await collect(log.follow(abandoned, -1, { pollMs: 20, checkEveryPolls: 1, stillStreaming: async () => false }))).toEqual([
      { index: 0, delta: 'half', done: false },
    ]);

    const deleted = randomUUID();
    const doomed = log.writer(deleted);
    doomed.append('gone soon');
    await doomed.flush();
    const following = collect(log.follow(deleted, 0));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await log.delete([deleted]);
    expect(await following).toEqual([]);
    expect(await log.exists(deleted)).toBe(false);
  });

  it('seals a log whose writer is gone, after what it holds', async () => {
    const log = open();
    const id = randomUUID();
    const writer = log.writer(id);
    writer.append('a');
    writer.append(' b');
    await writer.flush();
    await log.seal(id);
    await log.seal(id);
    expect(await log.range(id, -1)).toEqual([
      { index: 0, delta: 'a', done: false },
      { index: 1, delta: ' b', done: false },
      { index: 2, delta: '', done: true },
    ]);
  });

  it('expires a finished log after its time to live', async () => {
    const log = open({ ttlSeconds: 1 });
    const id = randomUUID();
    const writer = log.writer(id);
    writer.append('short-lived');
    await writer.finish();
    expect(await log.exists(id)).toBe(true);
    await expect.poll(() => log.exists(id), { timeout: 10_000, interval: 200 }).toBe(false);
  });
});

describe('token log writer', () => {
  it('sends tokens without waiting for each, and still delivers them in order to every follower', async () => {
    const log = open();
    const id = randomUUID();
    const followers = [collect(log.follow(id, -1)), collect(log.follow(id, -1))];
    const writer = log.writer(id);
    for (const t of tokens(200)) writer.append(t);
    await writer.finish();
    for (const entries of await Promise.all(followers)) {
      expect(entries.map((e) => e.index)).toEqual([...Array(201).keys()]);
      expect(entries.map((e) => e.delta).join('')).toBe(tokens(200).join(''));
    }
    expect(writer.count).toBe(200);
  });
});

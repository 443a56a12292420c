import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '@voiceassist/database';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { createTestDatabase, type TestDatabase } from '@voiceassist/testkit/database';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';
import { serveNoRevocations } from '@voiceassist/testkit/revocation-source';
import { waitUntil } from '@voiceassist/testkit/wait';
import type { FeedItem } from './change-feed.js';
import { openSubgraphDatabase } from '@voiceassist/database';
import { flagsDatabase } from './db/database.js';
import { createFlagsService, flagsEnvSchema, type FlagsService } from './service.js';

// Two flags replicas on one database and a Redis of this test's own, killed and restarted: a
// flag change goes through, this replica's subscribers get it at once and once, the other
// replica gets it from the database, and readiness says Redis is away without failing. A
// replica also starts, serves and closes with Redis away.

let target: TestDatabase;
let database: DatabaseHandle;
let redis: TestRedisServer;
let revocationSource: Awaited<ReturnType<typeof serveNoRevocations>>;
const replicas: Array<FlagsService & { url: string; lines: Array<Record<string, unknown>>; items: FeedItem[] }> = [];

async function startReplica() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)));
  const service = await createFlagsService({
    env: loadEnv(flagsEnvSchema, { NODE_ENV: 'test', JWKS_URL: revocationSource.jwksUrl }),
    logger: createLogger({ service: 'flags', destination }),
    infra: { databaseUrl: target.url, redisUrl: redis.url, namespace: `flags-outage-${randomUUID()}` },
    database,
  });
  const { url } = await service.server.listen(0, '127.0.0.1');
  const items: FeedItem[] = [];
  service.services.feed.add((item) => items.push(item));
  const replica = Object.assign(service, { url, lines, items });
  replicas.push(replica);
  return replica;
}

const versionsOf = (items: FeedItem[]) => items.map((item) => (item.type === 'change' ? item.change.version : -1));
/** What a flag mutation does: commit, then announce. */
async function updateFlag(replica: FlagsService, key: string, rolloutPercentage: number) {
  const change = await replica.services.store.update(key, { rolloutPercentage }, { actorId: null });
  replica.services.announce(change);
  return change;
}

beforeAll(async () => {
  redis = await startRedisServer();
  revocationSource = await serveNoRevocations();
  target = await createTestDatabase();
  database = await openSubgraphDatabase(flagsDatabase, { url: target.url });
});

afterAll(async () => {
  for (const replica of replicas) await replica.close();
  await database?.close();
  await target?.drop();
  await redis?.stop();
  await revocationSource?.close();
});

describe('flags while Redis is away', () => {
  it('applies a change, hands it to this replica at once and once, and to the other replica from the database', async () => {
    const a = await startReplica();
    const b = await startReplica();
    const key = `outage.${randomUUID().slice(0, 8)}`;
    const created = await a.services.store.create({ key, description: '', enabled: true, visibility: 'PUBLIC', variants: [], rules: [], rolloutPercentage: 100 }, null);
    a.services.announce(created);
    await waitUntil(() => versionsOf(b.items).includes(created.version));

    await redis.kill();
    await waitUntil(() => a.lines.some((l) => l.msg === 'redis unavailable'));
    const started = performance.now();
    const change = await updateFlag(a, key, 40);
    await waitUntil(() => versionsOf(a.items).includes(change.version), 500);
    expect(performance.now() - started).toBeLessThan(500);
    // The other replica reads it from the history within its poll interval.
    await waitUntil(() => versionsOf(b.items).includes(change.version), 5_000);
    expect((await fetch(`${a.url}/ready`)).status).toBe(200);
    expect(await (await fetch(`${a.url}/ready`)).json()).toMatchObject({ status: 'degraded', degraded: ['redis'] });
    expect(a.lines.filter((l) => l.msg === 'could not publish a flag change')).toEqual([]);

    await redis.restart();
    await waitUntil(() => a.lines.some((l) => l.msg === 'redis available again') && b.lines.some((l) => l.msg === 'redis available again'));
    const after = await updateFlag(a, key, 60);
    await waitUntil(() => versionsOf(b.items).includes(after.version), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Each change once, in order, on both replicas: no echo of a change delivered locally.
    expect(versionsOf(a.items)).toEqual([created.version, change.version, after.version]);
    expect(versionsOf(b.items)).toEqual([created.version, change.version, after.version]);
    expect(await (await fetch(`${a.url}/ready`)).json()).toMatchObject({ status: 'ready' });
  });

  it('starts without Redis, serves degraded, and closes without waiting for it', async () => {
    await redis.kill();
    const c = await startReplica();
    await waitUntil(() => c.lines.some((l) => l.msg === 'redis unavailable'));
    expect(await (await fetch(`${c.url}/health`)).json()).toMatchObject({ status: 'ok', service: 'flags', degraded: ['redis'] });
    const key = `cold.${randomUUID().slice(0, 8)}`;
    const created = await c.services.store.create({ key, description: '', enabled: true, visibility: 'PUBLIC', variants: [], rules: [], rolloutPercentage: 100 }, null);
    c.services.announce(created);
    await waitUntil(() => versionsOf(c.items).includes(created.version), 500);
    const started = performance.now();
    await c.close();
    replicas.splice(replicas.indexOf(c), 1);
    expect(performance.now() - started).toBeLessThan(2_000);
    await redis.restart();
  });
});

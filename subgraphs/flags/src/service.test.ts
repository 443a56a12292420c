import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import type { DatabaseHandle } from '@voiceassist/database';
import { loadEnv } from '@voiceassist/env';
import { FLAGS_FEED_PATH, FLAGS_SERVICE_TOKEN_HEADER } from '@voiceassist/flags-client';
import { createLogger } from '@voiceassist/logging';
import { createTestDatabase, type TestDatabase } from '@voiceassist/testkit/database';
import { openSubgraphDatabase } from '@voiceassist/database';
import { flagsDatabase } from './db/database.js';
import { createSchedules } from './schedules.js';
import { createFlagsService, flagsEnvSchema, type FlagsService } from './service.js';
import { createFlagStore } from './store.js';

// One flags service on its own database (no router): start-up, the scheduler's lifecycle, and
// who may open the backend feed.

let target: TestDatabase;
let database: DatabaseHandle;
const logger = createLogger({ service: 'flags', level: 'silent' });
const namespace = `flags-test-${randomUUID()}`;

/** A running replica (listening: the HTTP server refuses to close before it has started). */
async function start(env: Record<string, string> = {}): Promise<FlagsService & { url: string }> {
  const service = await createFlagsService({
    env: loadEnv(flagsEnvSchema, { NODE_ENV: 'test', FLAG_SCHEDULER_INTERVAL_MS: '50', ...env }),
    logger,
    infra: { databaseUrl: target.url, redisUrl: testEnv.REDIS_URL || undefined, namespace },
    database,
  });
  const { url } = await service.server.listen(0, '127.0.0.1');
  return Object.assign(service, { url });
}

const fields = (key: string) => ({ key, description: '', enabled: true, visibility: 'PUBLIC' as const, variants: [], rules: [], rolloutPercentage: 100 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  target = await createTestDatabase();
  database = await openSubgraphDatabase(flagsDatabase, { url: target.url });
});

afterAll(async () => {
  await database?.close();
  await target?.drop();
});

describe('the scheduler', () => {
  it('applies changes that fell due while no replica ran before start resolves, and stops on close', async () => {
    const store = createFlagStore(database.db);
    const schedules = createSchedules(database.db, store);
    await store.create(fields('start.overdue'), null);
    await store.create(fields('start.later'), null);
    const overdue = await schedules.schedule('start.overdue', new Date(Date.now() + 150), { enabled: false }, null);
    await sleep(300);

    const service = await start();
    expect((await schedules.get(overdue.id))?.status).toBe('APPLIED');
    expect((await store.get('start.overdue'))?.enabled).toBe(false);

    // Closed before its time: the change must stay pending (no replica runs).
    const later = await schedules.schedule('start.later', new Date(Date.now() + 400), { enabled: false }, null);
    await service.close();
    await sleep(700);
    expect((await schedules.get(later.id))?.status).toBe('PENDING');

    // The next replica to start applies it.
    const next = await start();
    expect((await schedules.get(later.id))?.status).toBe('APPLIED');
    await next.close();
  });

  it('marks a change that no longer fits the flag FAILED, with the reason, and applies the rest', async () => {
    const store = createFlagStore(database.db);
    const schedules = createSchedules(database.db, store);
    await store.create({ ...fields('start.variants'), variants: [{ key: 'a', weight: 50, value: null }, { key: 'b', weight: 50, value: null }] }, null);
    const doomed = await schedules.schedule(
      'start.variants',
      new Date(Date.now() + 200),
      { rules: [{ kind: 'ROLE_IN', attribute: null, values: ['ADMIN'], enabled: true, variant: 'b' }] },
      null,
    );
    const fine = await schedules.schedule('start.variants', new Date(Date.now() + 250), { rolloutPercentage: 10 }, null);
    // Meanwhile variant "b" goes away.
    await store.update('start.variants', { variants: [{ key: 'a', weight: 100, value: null }] }, { actorId: null });
    const service = await start();
    await expect.poll(async () => (await schedules.get(fine.id))?.status, { timeout: 10_000 }).toBe('APPLIED');
    expect(await schedules.get(doomed.id)).toMatchObject({ status: 'FAILED', failureReason: expect.stringContaining('"b"') });
    expect((await store.get('start.variants'))?.rolloutPercentage).toBe(10);
    await service.close();
  });
});

describe('history retention', () => {
  it('prunes a prefix of the history and remembers how far, so reconnects from before it get a snapshot', async () => {
    const store = createFlagStore(database.db);
    const created = await store.create(fields(`retain.${randomUUID().slice(0, 8)}`), null);
    const updated = await store.update(created.key, { rolloutPercentage: 10 }, { actorId: null });
    expect(await store.prune(new Date(Date.now() + 1_000))).toBeGreaterThanOrEqual(2);
    expect(await store.history(created.key, 10)).toEqual([]);
    expect((await store.resumeAfter(created.version)).type).toBe('snapshot');
    expect(await store.resumeAfter(updated.version)).toEqual({ type: 'replay', version: updated.version, changes: [] });
    const next = await store.update(created.key, { rolloutPercentage: 20 }, { actorId: null });
    const resumed = await store.resumeAfter(updated.version);
    expect(resumed.type === 'replay' && resumed.changes.map((c) => c.version)).toEqual([next.version]);
    // Nothing older than the cutoff: nothing to prune.
    expect(await store.prune(new Date(Date.now() - 3_600_000))).toBe(0);
  });
});

describe('the backend feed', () => {
  let service: Awaited<ReturnType<typeof start>>;
  afterAll(async () => {
    await service?.close();
  });

  const open = async (url: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${FLAGS_FEED_PATH}`, { headers });
    await response.body?.cancel();
    return response.status;
  };

  it('requires the service token when one is configured', async () => {
    const token = randomUUID() + randomUUID();
    service = await start({ FLAGS_SERVICE_TOKEN: token });
    const { url } = service;
    expect(await open(url)).toBe(401);
    expect(await open(url, { [FLAGS_SERVICE_TOKEN_HEADER]: `${token}x` })).toBe(401);
    expect(await open(url, { [FLAGS_SERVICE_TOKEN_HEADER]: token })).toBe(200);
    await service.close();
  });

  it('is disabled in production without a token, and refuses short tokens at start', async () => {
    service = await start({ NODE_ENV: 'production' });
    const { url } = service;
    expect(await open(url)).toBe(403);
    expect(() => loadEnv(flagsEnvSchema, { FLAGS_SERVICE_TOKEN: 'short' })).toThrow(/FLAGS_SERVICE_TOKEN/);
  });
});

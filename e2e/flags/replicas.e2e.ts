import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { createFlagsService, flagsEnvSchema, type FlagsService } from '@voiceassist/flags';
import { EVENT_FIELDS, FLAG_FIELDS, startFlagsSupergraph, uniqueKey, type FlagChangeEventView, type FlagsSupergraph } from './supergraph.js';
import { dataOf } from '@voiceassist/testkit/graphql-client';

// Two flags replicas on one database: the one the router uses and a second one. On PostgreSQL
// they share nothing but the database and Redis, as in production. PGlite cannot be opened by
// two processes, so without DATABASE_URL the second replica shares the first one's PGlite handle
// (one connection: transactions serialise rather than skip each other's locks) and the
// in-process pub/sub bus, and the suite checks the same outcome.

let t: FlagsSupergraph;
let second: FlagsService;
let secondWsUrl: string;

const SCHEDULER_INTERVAL_MS = '40';

beforeAll(async () => {
  t = await startFlagsSupergraph({ flagsEnv: { FLAG_SCHEDULER_INTERVAL_MS: SCHEDULER_INTERVAL_MS } });
  const first = t.flags;
  second = await createFlagsService({
    env: loadEnv(flagsEnvSchema, {
      NODE_ENV: 'test',
      JWKS_URL: String(t.supergraph.subgraphs.flags!.env.JWKS_URL),
      FLAG_SCHEDULER_INTERVAL_MS: SCHEDULER_INTERVAL_MS,
    }),
    logger: createLogger({ service: 'flags-replica', level: 'silent' }),
    infra: first.infra,
    ...(first.database.kind === 'pglite' ? { database: first.database } : {}),
  });
  const { url } = await second.server.listen(0, '127.0.0.1');
  secondWsUrl = `${url.replace(/^http/, 'ws')}/graphql`;
});

afterAll(async () => {
  await second?.close();
  await t?.stop();
});

/** A subscription straight to the second replica (the router only knows the first). */
function subscribeToSecond(keys: string[], token: string) {
  const client = createClient({ url: secondWsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  const events: FlagChangeEventView[] = [];
  const unsubscribe = client.subscribe<{ flagChanges: FlagChangeEventView }>(
    { query: `subscription S($keys: [String!]) { flagChanges(keys: $keys) { ${EVENT_FIELDS} } }`, variables: { keys } },
    { next: (r) => r.data && events.push(r.data.flagChanges), error: () => {}, complete: () => {} },
  );
  return {
    events,
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

async function createFlag(key: string) {
  return dataOf(
    await t.gql<{ createFlag: { version: number } }>(
      `mutation C($input: CreateFlagInput!) { createFlag(input: $input) { ${FLAG_FIELDS} } }`,
      { input: { key, enabled: true, visibility: 'AUTHENTICATED', rolloutPercentage: 100 } },
      t.admin.accessToken,
    ),
  ).createFlag;
}

describe('two flags replicas on one database', () => {
  it('a change made on one replica reaches subscribers of the other', async () => {
    const key = uniqueKey('replica.relay');
    await createFlag(key);
    const remote = subscribeToSecond([key], t.user.accessToken);
    await expect.poll(() => remote.events.length, { timeout: 15_000 }).toBe(1);
    const updated = dataOf(
      await t.gql<{ updateFlag: { version: number } }>('mutation U($key: String!) { updateFlag(key: $key, input: { enabled: false }) { version } }', { key }, t.admin.accessToken),
    ).updateFlag;
    await expect.poll(() => remote.events.length, { timeout: 15_000 }).toBe(2);
    expect(remote.events[1]).toMatchObject({ kind: 'UPDATED', key, version: updated.version, evaluation: { enabled: false } });
    await remote.close();
  });

  it('applies each scheduled change exactly once, whichever replica gets it, and both replicas announce it once', async () => {
    const keys = Array.from({ length: 8 }, () => uniqueKey('replica.sched'));
    for (const key of keys) await createFlag(key);
    const viaRouter = t.subscribe(
      `subscription S($keys: [String!]) { flagChanges(keys: $keys) { ${EVENT_FIELDS} } }`,
      { keys },
      t.user.accessToken,
    );
    const remote = subscribeToSecond(keys, t.user.accessToken);
    await expect.poll(() => viaRouter.events.length + remote.events.length, { timeout: 15_000 }).toBe(2);

    // All due at the same instant (one per flag), so both schedulers reach for them together.
    const at = new Date(Date.now() + 1_500).toISOString();
    const ids: string[] = [];
    for (const [i, key] of keys.entries()) {
      const scheduled = await t.gql<{ scheduleFlagChange: { id: string } }>(
        'mutation S($key: String!, $at: DateTime!, $p: Int!) { scheduleFlagChange(key: $key, at: $at, input: { rolloutPercentage: $p }) { id } }',
        { key, at, p: i },
        t.admin.accessToken,
      );
      ids.push(dataOf(scheduled).scheduleFlagChange.id);
    }

    await expect.poll(() => viaRouter.events.length, { timeout: 20_000, interval: 100 }).toBe(1 + keys.length);
    await expect.poll(() => remote.events.length, { timeout: 20_000, interval: 100 }).toBe(1 + keys.length);
    // Give a duplicate apply every chance to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const schedules = dataOf(
      await t.gql<{ scheduledFlagChanges: Array<{ id: string; key: string; status: string; appliedVersion: number }> }>(
        '{ scheduledFlagChanges(status: APPLIED, first: 500) { id key status appliedVersion } }',
        {},
        t.admin.accessToken,
      ),
    ).scheduledFlagChanges.filter((s) => ids.includes(s.id));
    expect(schedules).toHaveLength(keys.length);
    for (const key of keys) {
      const history = dataOf(
        await t.gql<{ flagHistory: Array<{ version: number; scheduledChangeId: string | null; after: { rolloutPercentage: number } }> }>(
          'query H($key: String!) { flagHistory(key: $key) { version scheduledChangeId after } }',
          { key },
          t.admin.accessToken,
        ),
      ).flagHistory;
      const applied = history.filter((h) => h.scheduledChangeId !== null);
      expect(applied).toHaveLength(1);
      expect(applied[0]!.after.rolloutPercentage).toBe(keys.indexOf(key));
      expect(schedules.find((s) => s.key === key)?.appliedVersion).toBe(applied[0]!.version);
    }
    for (const events of [viaRouter.events, remote.events]) {
      const updates = events.slice(1);
      expect(updates.every((e) => e.kind === 'UPDATED')).toBe(true);
      expect(new Set(updates.map((e) => e.key))).toEqual(new Set(keys));
      const versions = updates.map((e) => e.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      expect(new Set(versions).size).toBe(keys.length);
    }
    await Promise.all([viaRouter.close(), remote.close()]);
  });
});

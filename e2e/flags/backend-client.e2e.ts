import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlagsClient, evaluateFlag, type FlagChangeNotice, type FlagDefinition, type FlagsClient, type FlagsClientLogger } from '@voiceassist/flags-client';
import { FLAG_FIELDS, startFlagsSupergraph, uniqueKey, type FlagsSupergraph } from './supergraph.js';
import { dataOf } from '@voiceassist/testkit/graphql-client';

// The backend flags client (@voiceassist/flags-client) against the real flags subgraph, with
// flags written through the router as a SUPERADMIN would (only they may write INTERNAL flags).

const SERVICE_TOKEN = `svc-${randomUUID()}-${randomUUID()}`;
let t: FlagsSupergraph;
let graphqlUrl: string;
const clients: FlagsClient[] = [];

function open(options: { serviceToken?: string; logger?: FlagsClientLogger } = {}) {
  const client = createFlagsClient({ url: graphqlUrl, serviceToken: SERVICE_TOKEN, reconnect: { initialDelayMs: 50, maxDelayMs: 500 }, ...options });
  clients.push(client);
  return client;
}

async function write(mutation: 'create' | 'update', key: string, input: Record<string, unknown>): Promise<FlagDefinition> {
  if (mutation === 'create') {
    return dataOf(
      await t.gql<{ createFlag: FlagDefinition }>(`mutation C($input: CreateFlagInput!) { createFlag(input: $input) { ${FLAG_FIELDS} } }`, { input: { key, enabled: true, ...input } }, t.superadmin.accessToken),
    ).createFlag;
  }
  return dataOf(
    await t.gql<{ updateFlag: FlagDefinition }>(`mutation U($key: String!, $input: UpdateFlagInput!) { updateFlag(key: $key, input: $input) { ${FLAG_FIELDS} } }`, { key, input }, t.superadmin.accessToken),
  ).updateFlag;
}

beforeAll(async () => {
  t = await startFlagsSupergraph({ flagsEnv: { FLAGS_SERVICE_TOKEN: SERVICE_TOKEN } });
  graphqlUrl = `${t.supergraph.subgraphs.flags!.url}/graphql`;
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await t?.stop();
});

describe('the backend flags client', () => {
  it('loads every flag, INTERNAL included, and evaluates locally as the subgraph does', async () => {
    const internal = uniqueKey('backend.internal');
    const written = await write('create', internal, {
      visibility: 'INTERNAL',
      rolloutPercentage: 40,
      variants: [{ key: 'small', weight: 50, value: { model: 'small' } }, { key: 'large', weight: 50, value: { model: 'large' } }],
      rules: [{ kind: 'ROLE_IN', values: ['ADMIN'], variant: 'large' }],
    });
    const client = open();
    await client.ready(10_000);
    expect(client.loaded).toBe(true);
    expect(client.flag(internal)).toEqual(written);
    expect(client.version).toBeGreaterThanOrEqual(written.version);
    expect(client.evaluate(internal, { userId: 'u1', role: 'ADMIN' })).toMatchObject({ enabled: true, reason: 'RULE_MATCH', variant: 'large', value: { model: 'large' } });
    for (let i = 0; i < 200; i++) {
      const subject = { userId: `user-${i}`, role: 'USER' };
      expect(client.evaluate(internal, subject)).toEqual(evaluateFlag(written, subject));
    }
    expect(client.isEnabled('backend.unknown')).toBe(false);
    expect(client.isEnabled('backend.unknown', {}, true)).toBe(true);
    expect(client.evaluate('backend.unknown')).toBeNull();
  });

  it('follows changes and deletes as they happen', async () => {
    const key = uniqueKey('backend.follow');
    const client = open();
    await client.ready(10_000);
    const notices: FlagChangeNotice[] = [];
    client.onChange((n) => notices.push(n));
    const created = await write('create', key, { visibility: 'INTERNAL' });
    await expect.poll(() => client.isEnabled(key, { userId: 'u1' }), { timeout: 10_000 }).toBe(true);
    const off = await write('update', key, { enabled: false });
    await expect.poll(() => client.version, { timeout: 10_000 }).toBeGreaterThanOrEqual(off.version);
    expect(client.evaluate(key, { userId: 'u1' })).toMatchObject({ enabled: false, reason: 'DISABLED', version: off.version });
    dataOf(await t.gql('mutation D($key: String!) { deleteFlag(key: $key) }', { key }, t.superadmin.accessToken));
    await expect.poll(() => client.flag(key), { timeout: 10_000 }).toBeUndefined();
    expect(notices.filter((n) => n.key === key).map((n) => [n.kind, n.version])).toEqual([
      ['UPDATED', created.version],
      ['UPDATED', off.version],
      ['DELETED', off.version + 1],
    ]);
  });

  it('resumes after a dropped connection from its last version, missing nothing', async () => {
    const key = uniqueKey('backend.resume');
    await write('create', key, { visibility: 'INTERNAL', rolloutPercentage: 0 });
    const client = open();
    await client.ready(10_000);
    await expect.poll(() => client.flag(key)?.rolloutPercentage, { timeout: 10_000 }).toBe(0);
    const notices: FlagChangeNotice[] = [];
    client.onChange((n) => notices.push(n));
    const feed = t.flags.backendFeed;
    await expect.poll(() => feed.openCount, { timeout: 10_000 }).toBeGreaterThan(0);
    feed.closeAll();
    const versions: number[] = [];
    for (const percent of [10, 20, 30]) versions.push((await write('update', key, { rolloutPercentage: percent })).version);
    await expect.poll(() => client.flag(key)?.rolloutPercentage, { timeout: 10_000 }).toBe(30);
    // Replayed as changes, not reloaded as a snapshot.
    expect(notices.filter((n) => n.key === key).map((n) => n.version)).toEqual(versions);
    expect(notices.some((n) => n.kind === 'SNAPSHOT')).toBe(false);
  });

  it('is refused without the service token, says so in its logs, and never logs the token', async () => {
    const lines: string[] = [];
    const record = (obj: object, msg?: string) => void lines.push(JSON.stringify({ ...obj, msg }));
    const logger = { debug: record, info: record, warn: record };
    const wrong = open({ serviceToken: 'not-the-token-but-long-enough-to-look-real', logger });
    const none = open({ serviceToken: undefined, logger });
    await expect(wrong.ready(1_000)).rejects.toThrow(/not loaded/);
    await expect(none.ready(10)).rejects.toThrow(/not loaded/);
    expect(wrong.loaded).toBe(false);
    expect(wrong.isEnabled('anything', {}, true)).toBe(true);
    await expect.poll(() => lines.some((l) => l.includes('"status":401')), { timeout: 10_000 }).toBe(true);
    expect(lines.join('\n')).not.toContain('not-the-token');
    await Promise.all([wrong.close(), none.close()]);
  });

  it('stops following on close', async () => {
    const client = open();
    await client.ready(10_000);
    const before = t.flags.backendFeed.openCount;
    await client.close();
    await expect.poll(() => t.flags.backendFeed.openCount, { timeout: 10_000 }).toBe(before - 1);
  });
});

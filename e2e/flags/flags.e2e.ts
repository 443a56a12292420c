import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlagsClient, evaluateFlag, type FlagDefinition } from '@voiceassist/flags-client';
import { dataOf, errorOf, graphqlRequest } from '@voiceassist/testkit/graphql-client';
import {
  EVALUATION_FIELDS,
  EVENT_FIELDS,
  FLAG_FIELDS,
  startFlagsSupergraph,
  uniqueKey,
  type Account,
  type FlagEvaluationView,
  type FlagsSupergraph,
} from './supergraph.js';

// The real router, identity and flags over HTTP and WebSockets: PGlite in memory and in-process
// pub/sub, or a fresh PostgreSQL database and Redis when DATABASE_URL / REDIS_URL are set.

let t: FlagsSupergraph;
let admin: Account;
let user: Account;

const CREATE = `mutation C($input: CreateFlagInput!) { createFlag(input: $input) { ${FLAG_FIELDS} } }`;
const UPDATE = `mutation U($key: String!, $input: UpdateFlagInput!) { updateFlag(key: $key, input: $input) { ${FLAG_FIELDS} } }`;
const DELETE = 'mutation D($key: String!) { deleteFlag(key: $key) }';
const FLAGS = `query F($keys: [String!], $clientId: String, $attributes: JSON) { flags(keys: $keys, clientId: $clientId, attributes: $attributes) { ${EVALUATION_FIELDS} } }`;
const CHANGES = `subscription S($keys: [String!], $afterVersion: Int, $clientId: String) { flagChanges(keys: $keys, afterVersion: $afterVersion, clientId: $clientId) { ${EVENT_FIELDS} } }`;
const SCHEDULE = `mutation S($key: String!, $at: DateTime!, $input: UpdateFlagInput!) {
  scheduleFlagChange(key: $key, at: $at, input: $input) { id key at input status appliedVersion createdById } }`;

/** As an ADMIN, or as `token` (INTERNAL flags are written by a SUPERADMIN). */
async function createFlag(input: Record<string, unknown>, token = admin.accessToken): Promise<FlagDefinition> {
  return dataOf(await t.gql<{ createFlag: FlagDefinition }>(CREATE, { input: { enabled: true, visibility: 'AUTHENTICATED', ...input } }, token)).createFlag;
}

async function updateFlag(key: string, input: Record<string, unknown>, token = admin.accessToken): Promise<FlagDefinition> {
  return dataOf(await t.gql<{ updateFlag: FlagDefinition }>(UPDATE, { key, input }, token)).updateFlag;
}

async function flagsFor(token: string | undefined, variables: Record<string, unknown> = {}): Promise<FlagEvaluationView[]> {
  return dataOf(await t.gql<{ flags: FlagEvaluationView[] }>(FLAGS, variables, token)).flags;
}

const keysOf = (evaluations: Array<{ key: string }>) => evaluations.map((e) => e.key).sort();

beforeAll(async () => {
  t = await startFlagsSupergraph();
  admin = t.admin;
  user = t.user;
});

afterAll(async () => {
  await t?.stop();
});

describe('writing flags', () => {
  it('creates a flag for ADMIN+ and refuses everyone else', async () => {
    const key = uniqueKey('write.create');
    const created = await createFlag({ key, description: ' New checkout ', variants: [{ key: 'a', weight: 60, value: { n: 1 } }, { key: 'b', weight: 40 }] });
    expect(created).toMatchObject({ key, description: 'New checkout', enabled: true, visibility: 'AUTHENTICATED', rolloutPercentage: 100, rules: [] });
    expect(created.variants).toEqual([
      { key: 'a', weight: 60, value: { n: 1 } },
      { key: 'b', weight: 40, value: null },
    ]);
    expect(created.version).toBeGreaterThan(0);
    const input = { key: uniqueKey('write.refused'), visibility: 'PUBLIC' };
    expect(errorOf(await t.gql(CREATE, { input }, user.accessToken)).extensions?.code).toBe('FORBIDDEN');
    expect(errorOf(await t.gql(CREATE, { input })).extensions?.code).toBe('UNAUTHENTICATED');
    expect(errorOf(await t.gql(CREATE, { input: { key, visibility: 'PUBLIC' } }, admin.accessToken)).extensions).toMatchObject({ code: 'CONFLICT', field: 'input.key' });
  });

  it('names the field at fault', async () => {
    const bad = async (input: Record<string, unknown>) => errorOf(await t.gql(CREATE, { input: { key: uniqueKey('write.bad'), visibility: 'PUBLIC', ...input } }, admin.accessToken)).extensions;
    for (const key of ['Upper.case', 'under_score', 'double..dot', '-lead', 'trail.', '', 'sp ace']) {
      expect(await bad({ key })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.key' });
    }
    expect(await bad({ variants: [{ key: 'a', weight: 50 }, { key: 'b', weight: 40 }] })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.variants' });
    expect(await bad({ variants: [{ key: 'a', weight: 50 }, { key: 'a', weight: 50 }] })).toMatchObject({ field: 'input.variants[1].key' });
    expect(await bad({ rolloutPercentage: 101 })).toMatchObject({ field: 'input.rolloutPercentage' });
    expect(await bad({ rules: [{ kind: 'ROLE_IN', values: ['KING'] }] })).toMatchObject({ field: 'input.rules[0].values' });
    expect(await bad({ rules: [{ kind: 'ATTRIBUTE_EQUALS', values: ['x'] }] })).toMatchObject({ field: 'input.rules[0].attribute' });
    expect(await bad({ rules: [{ kind: 'ATTRIBUTE_EQUALS', attribute: 'plan', values: ['a', 'b'] }] })).toMatchObject({ field: 'input.rules[0].values' });
    expect(await bad({ rules: [{ kind: 'USER_ID_IN', values: ['u1'], variant: 'ghost' }] })).toMatchObject({ field: 'input.rules[0].variant' });
  });

  it('updates only what is set, checks expectedVersion, and 404s unknown flags', async () => {
    const key = uniqueKey('write.update');
    const created = await createFlag({ key, description: 'keep me', rolloutPercentage: 10 });
    const updated = await updateFlag(key, { rolloutPercentage: 30, expectedVersion: created.version });
    expect(updated).toMatchObject({ description: 'keep me', rolloutPercentage: 30, enabled: true });
    expect(updated.version).toBeGreaterThan(created.version);
    expect(errorOf(await t.gql(UPDATE, { key, input: { enabled: false, expectedVersion: created.version } }, admin.accessToken)).extensions).toMatchObject({
      code: 'CONFLICT',
      field: 'input.expectedVersion',
      currentVersion: updated.version,
    });
    expect(errorOf(await t.gql(UPDATE, { key, input: {} }, admin.accessToken)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input' });
    expect(errorOf(await t.gql(UPDATE, { key: uniqueKey('write.missing'), input: { enabled: false } }, admin.accessToken)).extensions?.code).toBe('NOT_FOUND');
    expect(errorOf(await t.gql(DELETE, { key: uniqueKey('write.missing') }, admin.accessToken)).extensions?.code).toBe('NOT_FOUND');
  });

  it('records every change with actor, before and after, newest first', async () => {
    const key = uniqueKey('write.history');
    const created = await createFlag({ key, rolloutPercentage: 5 });
    const updated = await updateFlag(key, { rolloutPercentage: 50 });
    dataOf(await t.gql(DELETE, { key }, admin.accessToken));
    const history = dataOf(
      await t.gql<{ flagHistory: Array<{ action: string; version: number; before: unknown; after: unknown }> }>(
        'query H($key: String!) { flagHistory(key: $key) { version key action actorId actor { id email } before after redacted occurredAt scheduledChangeId } }',
        { key },
        admin.accessToken,
      ),
    ).flagHistory;
    expect(history.map((h) => h.action)).toEqual(['DELETED', 'UPDATED', 'CREATED']);
    expect(history.map((h) => h.version)).toEqual([updated.version + 1, updated.version, created.version]);
    for (const entry of history) expect(entry).toMatchObject({ key, actorId: admin.user.id, actor: { id: admin.user.id, email: admin.user.email }, redacted: false, scheduledChangeId: null });
    expect(history[1]!.before).toMatchObject({ rolloutPercentage: 5, version: created.version });
    expect(history[1]!.after).toMatchObject({ rolloutPercentage: 50, version: updated.version });
    expect(history[0]!.after).toBeNull();
    expect(history[2]!.before).toBeNull();
    expect(errorOf(await t.gql('query H($key: String!) { flagHistory(key: $key) { version } }', { key }, user.accessToken)).extensions?.code).toBe('FORBIDDEN');
  });
});

describe('visibility', () => {
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    for (const visibility of ['PUBLIC', 'AUTHENTICATED', 'ADMIN', 'INTERNAL']) {
      keys[visibility] = uniqueKey(`vis.${visibility.toLowerCase()}`);
      await createFlag({ key: keys[visibility], visibility }, t.superadmin.accessToken);
    }
  });
  const mine = (evaluations: Array<{ key: string }>) => keysOf(evaluations.filter((e) => Object.values(keys).includes(e.key)));

  it('evaluates for each role only what it may see, INTERNAL for nobody', async () => {
    const viewer = await t.withRole('VIEWER', 'viewer');
    const all = Object.values(keys);
    expect(mine(await flagsFor(undefined))).toEqual([keys.PUBLIC]);
    expect(mine(await flagsFor(viewer.accessToken))).toEqual([keys.AUTHENTICATED, keys.PUBLIC].sort());
    expect(mine(await flagsFor(user.accessToken))).toEqual([keys.AUTHENTICATED, keys.PUBLIC].sort());
    expect(mine(await flagsFor(admin.accessToken))).toEqual([keys.ADMIN, keys.AUTHENTICATED, keys.PUBLIC].sort());
    expect(mine(await flagsFor(t.superadmin.accessToken, { keys: all }))).toEqual([keys.ADMIN, keys.AUTHENTICATED, keys.PUBLIC].sort());
    // Asking for it by name changes nothing.
    expect(await flagsFor(t.superadmin.accessToken, { keys: [keys.INTERNAL] })).toEqual([]);
  });

  it('keeps INTERNAL flags out of every admin query', async () => {
    const token = t.superadmin.accessToken;
    const listed = dataOf(await t.gql<{ featureFlags: Array<{ key: string }> }>('{ featureFlags { key } }', {}, token)).featureFlags;
    expect(mine(listed)).toEqual([keys.ADMIN, keys.AUTHENTICATED, keys.PUBLIC].sort());
    const one = (key: string) => t.gql<{ featureFlag: { key: string } | null }>('query Q($key: String!) { featureFlag(key: $key) { key visibility } }', { key }, token);
    expect(dataOf(await one(keys.INTERNAL!)).featureFlag).toBeNull();
    expect(dataOf(await one(keys.ADMIN!)).featureFlag).toMatchObject({ key: keys.ADMIN });
    expect(dataOf(await t.gql('query H($key: String!) { flagHistory(key: $key) { version } }', { key: keys.INTERNAL }, token))).toEqual({ flagHistory: [] });
    // Entity resolution applies the same rule.
    const entities = await graphqlRequest<{ _entities: Array<unknown> }>(
      `${t.supergraph.subgraphs.flags!.url}/graphql`,
      'query E($r: [_Any!]!) { _entities(representations: $r) { ... on FeatureFlag { key } } }',
      { r: [{ __typename: 'FeatureFlag', key: keys.INTERNAL }, { __typename: 'FeatureFlag', key: keys.ADMIN }] },
      { token },
    );
    expect(dataOf(entities)._entities).toEqual([null, { key: keys.ADMIN }]);
  });

  it('a flag that turns INTERNAL leaves history with that side withheld', async () => {
    const key = uniqueKey('vis.turns-internal');
    await createFlag({ key, visibility: 'ADMIN' });
    await updateFlag(key, { visibility: 'INTERNAL' }, t.superadmin.accessToken);
    await updateFlag(key, { rolloutPercentage: 40 }, t.superadmin.accessToken);
    const history = dataOf(
      await t.gql<{ flagHistory: Array<{ action: string; before: unknown; after: { visibility: string } | null; redacted: boolean }> }>(
        'query H($key: String!) { flagHistory(key: $key) { action before after redacted } }',
        { key },
        admin.accessToken,
      ),
    ).flagHistory;
    // The INTERNAL → INTERNAL update is gone; the ADMIN → INTERNAL one keeps only its ADMIN side.
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ action: 'UPDATED', after: null, redacted: true });
    expect(history[0]!.before).toMatchObject({ visibility: 'ADMIN' });
    expect(history[1]).toMatchObject({ action: 'CREATED', redacted: false });
  });

  it('streams each role its own snapshot and changes, INTERNAL to nobody', async () => {
    const all = Object.values(keys);
    const anonymous = t.subscribe(CHANGES, { keys: all });
    const asUser = t.subscribe(CHANGES, { keys: all }, user.accessToken);
    const asAdmin = t.subscribe(CHANGES, { keys: all }, t.superadmin.accessToken);
    const subs = [anonymous, asUser, asAdmin];
    await expect.poll(() => subs.every((s) => s.events.length === 1), { timeout: 15_000 }).toBe(true);
    expect(subs.map((s) => s.events[0]!.kind)).toEqual(['SNAPSHOT', 'SNAPSHOT', 'SNAPSHOT']);
    expect(keysOf(anonymous.events[0]!.flags!)).toEqual([keys.PUBLIC]);
    expect(keysOf(asUser.events[0]!.flags!)).toEqual([keys.AUTHENTICATED, keys.PUBLIC].sort());
    expect(keysOf(asAdmin.events[0]!.flags!)).toEqual([keys.ADMIN, keys.AUTHENTICATED, keys.PUBLIC].sort());

    // Every flag changes, INTERNAL first; each subscriber hears only what it may see.
    for (const visibility of ['INTERNAL', 'ADMIN', 'AUTHENTICATED', 'PUBLIC']) await updateFlag(keys[visibility]!, { rolloutPercentage: 0 }, t.superadmin.accessToken);
    await expect.poll(() => anonymous.events.length, { timeout: 15_000 }).toBe(2);
    await expect.poll(() => asUser.events.length, { timeout: 15_000 }).toBe(3);
    await expect.poll(() => asAdmin.events.length, { timeout: 15_000 }).toBe(4);
    expect(asAdmin.events.slice(1).map((e) => e.key)).toEqual([keys.ADMIN, keys.AUTHENTICATED, keys.PUBLIC]);
    expect(asUser.events.slice(1).map((e) => e.key)).toEqual([keys.AUTHENTICATED, keys.PUBLIC]);
    expect(anonymous.events[1]).toMatchObject({ kind: 'UPDATED', key: keys.PUBLIC, evaluation: { enabled: false, reason: 'NOT_IN_ROLLOUT' } });

    // Hidden from users: DELETED for them, UPDATED for admins. Shown again: UPDATED for both.
    const hidden = await updateFlag(keys.AUTHENTICATED!, { visibility: 'ADMIN' });
    await expect.poll(() => asUser.events.length, { timeout: 15_000 }).toBe(4);
    expect(asUser.events[3]).toEqual({ version: hidden.version, kind: 'DELETED', key: keys.AUTHENTICATED, evaluation: null, flags: null });
    await expect.poll(() => asAdmin.events.length, { timeout: 15_000 }).toBe(5);
    expect(asAdmin.events[4]).toMatchObject({ version: hidden.version, kind: 'UPDATED', key: keys.AUTHENTICATED });
    const internal = await updateFlag(keys.AUTHENTICATED!, { visibility: 'INTERNAL' }, t.superadmin.accessToken);
    await expect.poll(() => asAdmin.events.length, { timeout: 15_000 }).toBe(6);
    expect(asAdmin.events[5]).toMatchObject({ version: internal.version, kind: 'DELETED', key: keys.AUTHENTICATED });
    const shown = await updateFlag(keys.AUTHENTICATED!, { visibility: 'AUTHENTICATED' }, t.superadmin.accessToken);
    await expect.poll(() => asUser.events.length, { timeout: 15_000 }).toBe(5);
    expect(asUser.events[4]).toMatchObject({ version: shown.version, kind: 'UPDATED', key: keys.AUTHENTICATED });

    const everything = JSON.stringify(subs.map((s) => s.events));
    expect(everything).not.toContain(keys.INTERNAL);
    expect(subs.flatMap((s) => s.errors)).toEqual([]);
    await Promise.all(subs.map((s) => s.close()));
  });
});

describe('targeting through the router', () => {
  it('matches role, user id, email domain and attribute rules in order, then the rollout', async () => {
    const clinician = await t.signUp('clinician', 'Clinic.Example');
    const beta = await t.signUp('beta');
    const key = uniqueKey('target.rules');
    await createFlag({
      key,
      visibility: 'PUBLIC',
      rolloutPercentage: 0,
      variants: [
        { key: 'plain', weight: 50, value: 'plain' },
        { key: 'fancy', weight: 50, value: { theme: 'fancy' } },
      ],
      rules: [
        { kind: 'ROLE_IN', values: ['ADMIN', 'SUPERADMIN'], variant: 'fancy' },
        { kind: 'USER_ID_IN', values: [beta.user.id], variant: 'plain' },
        { kind: 'EMAIL_DOMAIN_IN', values: ['clinic.example'], variant: 'fancy' },
        { kind: 'ATTRIBUTE_IN', attribute: 'platform', values: ['ios', 'android'], enabled: false },
        { kind: 'ATTRIBUTE_EQUALS', attribute: 'cohort', values: ['pilot'] },
      ],
    });
    const evaluate = async (token: string | undefined, attributes?: Record<string, unknown>) => (await flagsFor(token, { keys: [key], attributes, clientId: 'device-1' }))[0];
    expect(await evaluate(admin.accessToken)).toMatchObject({ enabled: true, reason: 'RULE_MATCH', ruleIndex: 0, variant: 'fancy', value: { theme: 'fancy' } });
    expect(await evaluate(beta.accessToken)).toMatchObject({ enabled: true, ruleIndex: 1, variant: 'plain', value: 'plain' });
    expect(await evaluate(clinician.accessToken)).toMatchObject({ enabled: true, ruleIndex: 2, variant: 'fancy' });
    expect(await evaluate(user.accessToken, { platform: 'ios', cohort: 'pilot' })).toMatchObject({ enabled: false, reason: 'RULE_MATCH', ruleIndex: 3, variant: null });
    expect(await evaluate(user.accessToken, { cohort: 'pilot' })).toMatchObject({ enabled: true, ruleIndex: 4 });
    expect(await evaluate(undefined, { cohort: 'pilot' })).toMatchObject({ enabled: true, ruleIndex: 4 });
    expect(await evaluate(user.accessToken)).toMatchObject({ enabled: false, reason: 'NOT_IN_ROLLOUT', ruleIndex: null });
    // Role and identity come from the token, never from attributes.
    expect(await evaluate(user.accessToken, { role: 'ADMIN', userId: beta.user.id })).toMatchObject({ enabled: false, reason: 'NOT_IN_ROLLOUT' });
    expect(errorOf(await t.gql(FLAGS, { attributes: { nested: { a: 1 } } }, user.accessToken)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'attributes' });
    expect(errorOf(await t.gql(FLAGS, { keys: ['Not A Key'] })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'keys[0]' });
  });

  it('serves the evaluation the shared evaluator gives, sticky per client id', async () => {
    const key = uniqueKey('target.rollout');
    const flag = await createFlag({ key, visibility: 'PUBLIC', rolloutPercentage: 30, variants: [{ key: 'a', weight: 70 }, { key: 'b', weight: 30 }] });
    const clients = Array.from({ length: 80 }, (_, i) => `device-${i}`);
    const served = await Promise.all(clients.map(async (clientId) => (await flagsFor(undefined, { keys: [key], clientId }))[0]!));
    served.forEach((evaluation, i) => {
      const expected = evaluateFlag(flag, { clientId: clients[i] });
      expect({ enabled: evaluation.enabled, variant: evaluation.variant, reason: evaluation.reason }).toEqual({ enabled: expected.enabled, variant: expected.variant, reason: expected.reason });
    });
    expect(served.some((e) => e.enabled)).toBe(true);
    expect(served.some((e) => !e.enabled)).toBe(true);
    // Raising the rollout keeps everyone who had it.
    await updateFlag(key, { rolloutPercentage: 60 });
    const later = await Promise.all(clients.map(async (clientId) => (await flagsFor(undefined, { keys: [key], clientId }))[0]!));
    served.forEach((before, i) => {
      if (before.enabled) expect(later[i]).toMatchObject({ enabled: true, variant: before.variant });
    });
    expect((await flagsFor(undefined, { keys: [key] }))[0]).toMatchObject({ enabled: false, reason: 'NO_BUCKETING_KEY' });
  });
});

describe('flagChanges', () => {
  it('sends a snapshot, then each change as UPDATED and a delete as DELETED', async () => {
    const key = uniqueKey('stream.basic');
    const other = uniqueKey('stream.other');
    await createFlag({ key, rolloutPercentage: 100 });
    await createFlag({ key: other });
    const sub = t.subscribe(CHANGES, { keys: [key] }, user.accessToken);
    await expect.poll(() => sub.events.length, { timeout: 15_000 }).toBe(1);
    const [snapshot] = sub.events;
    expect(snapshot).toMatchObject({ kind: 'SNAPSHOT', key: null, evaluation: null });
    expect(snapshot!.flags).toEqual([expect.objectContaining({ key, enabled: true, reason: 'ROLLOUT' })]);
    await updateFlag(other, { enabled: false });
    const off = await updateFlag(key, { enabled: false });
    await expect.poll(() => sub.events.length, { timeout: 15_000 }).toBe(2);
    expect(sub.events[1]).toEqual({
      version: off.version,
      kind: 'UPDATED',
      key,
      flags: null,
      evaluation: { key, enabled: false, variant: null, value: null, reason: 'DISABLED', ruleIndex: null, version: off.version },
    });
    expect(off.version).toBeGreaterThan(snapshot!.version);
    dataOf(await t.gql(DELETE, { key }, admin.accessToken));
    await expect.poll(() => sub.events.length, { timeout: 15_000 }).toBe(3);
    expect(sub.events[2]).toEqual({ version: off.version + 1, kind: 'DELETED', key, evaluation: null, flags: null });
    await sub.close();
  });

  it('a reconnect with afterVersion gets exactly the missed changes, then live ones: no gap, no duplicate', async () => {
    const key = uniqueKey('stream.resume');
    await createFlag({ key, rolloutPercentage: 0 });
    const first = t.subscribe(CHANGES, { keys: [key] }, user.accessToken);
    await expect.poll(() => first.events.length, { timeout: 15_000 }).toBe(1);
    const lastSeen = first.events[0]!.version;
    await first.close();

    const missed: number[] = [];
    for (const percent of [10, 20, 30]) missed.push((await updateFlag(key, { rolloutPercentage: percent })).version);
    await createFlag({ key: uniqueKey('stream.unrelated') });

    const again = t.subscribe(CHANGES, { keys: [key], afterVersion: lastSeen }, user.accessToken);
    await expect.poll(() => again.events.length, { timeout: 15_000 }).toBe(3);
    expect(again.events.map((e) => [e.kind, e.version])).toEqual(missed.map((v) => ['UPDATED', v]));

    // Changes racing the subscription's start: each arrives exactly once.
    const resumeFrom = again.events[2]!.version;
    await again.close();
    const writes = (async () => {
      const versions: number[] = [];
      for (let i = 0; i < 12; i++) versions.push((await updateFlag(key, { rolloutPercentage: 40 + i })).version);
      return versions;
    })();
    await new Promise((resolve) => setTimeout(resolve, 15));
    const racing = t.subscribe(CHANGES, { keys: [key], afterVersion: resumeFrom }, user.accessToken);
    const written = await writes;
    await expect.poll(() => racing.events.at(-1)?.version, { timeout: 15_000 }).toBe(written.at(-1));
    expect(racing.events.map((e) => e.version)).toEqual(written);
    expect(racing.events.every((e) => e.kind === 'UPDATED')).toBe(true);
    expect(racing.events.map((e) => e.evaluation!.version)).toEqual(written);
    const live = await updateFlag(key, { rolloutPercentage: 100 });
    await expect.poll(() => racing.events.at(-1)?.version, { timeout: 15_000 }).toBe(live.version);
    expect(racing.events).toHaveLength(written.length + 1);
    await racing.close();
  });

  it('answers a reconnect from before the retained history with a SNAPSHOT', async () => {
    const key = uniqueKey('stream.pruned');
    const created = await createFlag({ key, rolloutPercentage: 0 });
    await updateFlag(key, { rolloutPercentage: 50 });
    const latest = await updateFlag(key, { rolloutPercentage: 75 });
    const pruned = await t.flags.services.store.prune(new Date(Date.now() + 1_000));
    expect(pruned).toBeGreaterThanOrEqual(3);
    const sub = t.subscribe(CHANGES, { keys: [key], afterVersion: created.version }, user.accessToken);
    await expect.poll(() => sub.events.length, { timeout: 15_000 }).toBe(1);
    expect(sub.events[0]).toMatchObject({ kind: 'SNAPSHOT', flags: [expect.objectContaining({ key, version: latest.version })] });
    expect(sub.events[0]!.version).toBeGreaterThanOrEqual(latest.version);
    // History is gone, but a reconnect from the current version needs none.
    const current = t.subscribe(CHANGES, { keys: [key], afterVersion: sub.events[0]!.version }, user.accessToken);
    const next = await updateFlag(key, { rolloutPercentage: 80 });
    await expect.poll(() => current.events.length, { timeout: 15_000 }).toBe(1);
    expect(current.events[0]).toMatchObject({ kind: 'UPDATED', version: next.version });
    // A version from the future (another deployment's) also gets a snapshot.
    const future = t.subscribe(CHANGES, { keys: [key], afterVersion: next.version + 1_000 }, user.accessToken);
    await expect.poll(() => future.events[0]?.kind, { timeout: 15_000 }).toBe('SNAPSHOT');
    await Promise.all([sub.close(), current.close(), future.close()]);
    expect(errorOf(await t.gql('subscription { flagChanges(afterVersion: -1) { version } }')).extensions).toBeDefined();
  });
});

describe('scheduled changes', () => {
  const list = async (key: string) =>
    dataOf(
      await t.gql<{ scheduledFlagChanges: Array<{ id: string; status: string; appliedVersion: number | null }> }>(
        'query L($key: String) { scheduledFlagChanges(key: $key) { id status appliedVersion } }',
        { key },
        admin.accessToken,
      ),
    ).scheduledFlagChanges;

  it('refuses past times and two changes for one flag at one instant; lists and cancels', async () => {
    const key = uniqueKey('sched.rules');
    await createFlag({ key });
    const past = await t.gql(SCHEDULE, { key, at: new Date(Date.now() - 1_000).toISOString(), input: { enabled: false } }, admin.accessToken);
    expect(errorOf(past).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'at' });
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = dataOf(await t.gql<{ scheduleFlagChange: { id: string; status: string; input: unknown } }>(SCHEDULE, { key, at, input: { enabled: false } }, admin.accessToken)).scheduleFlagChange;
    expect(scheduled).toMatchObject({ status: 'PENDING', input: { enabled: false } });
    expect(errorOf(await t.gql(SCHEDULE, { key, at, input: { rolloutPercentage: 5 } }, admin.accessToken)).extensions).toMatchObject({ code: 'CONFLICT', field: 'at' });
    expect(errorOf(await t.gql(SCHEDULE, { key: uniqueKey('sched.none'), at, input: { enabled: false } }, admin.accessToken)).extensions?.code).toBe('NOT_FOUND');
    expect(errorOf(await t.gql(SCHEDULE, { key, at, input: { enabled: false, expectedVersion: 1 } }, admin.accessToken)).extensions?.field).toBe('input.expectedVersion');
    expect(errorOf(await t.gql(SCHEDULE, { key, at, input: { enabled: false } }, user.accessToken)).extensions?.code).toBe('FORBIDDEN');
    expect(await list(key)).toEqual([{ id: scheduled.id, status: 'PENDING', appliedVersion: null }]);

    const cancel = 'mutation X($id: ID!) { cancelScheduledFlagChange(id: $id) { id status } }';
    expect(dataOf(await t.gql(cancel, { id: scheduled.id }, admin.accessToken))).toEqual({ cancelScheduledFlagChange: { id: scheduled.id, status: 'CANCELLED' } });
    expect(errorOf(await t.gql(cancel, { id: scheduled.id }, admin.accessToken)).extensions).toMatchObject({ code: 'CONFLICT', status: 'CANCELLED' });
    expect(errorOf(await t.gql(cancel, { id: 'nope' }, admin.accessToken)).extensions?.code).toBe('NOT_FOUND');
    // The slot is free again once cancelled.
    dataOf(await t.gql(SCHEDULE, { key, at, input: { rolloutPercentage: 5 } }, admin.accessToken));
  });

  it('applies a change at its time, once, and subscribers hear it', async () => {
    const key = uniqueKey('sched.apply');
    await createFlag({ key, rolloutPercentage: 100 });
    const sub = t.subscribe(CHANGES, { keys: [key] }, user.accessToken);
    await expect.poll(() => sub.events.length, { timeout: 15_000 }).toBe(1);
    const at = new Date(Date.now() + 1_500);
    const scheduled = dataOf(await t.gql<{ scheduleFlagChange: { id: string } }>(SCHEDULE, { key, at: at.toISOString(), input: { enabled: false } }, admin.accessToken)).scheduleFlagChange;
    await expect.poll(() => sub.events.length, { timeout: 15_000, interval: 50 }).toBe(2);
    expect(sub.events[1]).toMatchObject({ kind: 'UPDATED', key, evaluation: { enabled: false, reason: 'DISABLED' } });
    const [row] = await list(key);
    expect(row).toMatchObject({ id: scheduled.id, status: 'APPLIED', appliedVersion: sub.events[1]!.version });
    const history = dataOf(
      await t.gql<{ flagHistory: Array<{ version: number; scheduledChangeId: string | null; actorId: string }> }>(
        'query H($key: String!) { flagHistory(key: $key) { version scheduledChangeId actorId } }',
        { key },
        admin.accessToken,
      ),
    ).flagHistory;
    expect(history.filter((h) => h.scheduledChangeId === scheduled.id)).toEqual([{ version: sub.events[1]!.version, scheduledChangeId: scheduled.id, actorId: admin.user.id }]);
    await sub.close();
  });
});

describe('INTERNAL flags', () => {
  it('never reach a client, directly on the subgraph or through the router', async () => {
    const key = uniqueKey('internal.secret');
    await createFlag({ key, visibility: 'INTERNAL', variants: [{ key: 'model-x', weight: 100, value: { model: 'secret-model' } }] }, t.superadmin.accessToken);
    const direct = `${t.supergraph.subgraphs.flags!.url}/graphql`;
    for (const token of [undefined, user.accessToken, admin.accessToken, t.superadmin.accessToken]) {
      for (const url of [direct, t.supergraph.graphqlUrl]) {
        const response = await graphqlRequest(url, `{ flags { key } featureFlags { key } }`, {}, { token });
        expect(JSON.stringify(response.body)).not.toContain(key);
      }
    }
    // Backend services read it through the backend feed (here on loopback, with no token configured).
    const backend = createFlagsClient({ url: direct });
    await backend.ready(10_000);
    expect(backend.evaluate(key, { userId: user.user.id })).toMatchObject({ enabled: true, variant: 'model-x', value: { model: 'secret-model' } });
    await backend.close();
    // The backend feed is not routed: the router serves /graphql only.
    const viaRouter = await fetch(`${t.supergraph.routerUrl}/internal/flags/stream`);
    expect(viaRouter.status).toBe(404);
    await viaRouter.body?.cancel();
  });
});

describe('an ADMIN against INTERNAL flags', () => {
  const CANCEL = 'mutation X($id: ID!) { cancelScheduledFlagChange(id: $id) { id key status input } }';
  const LIST = 'query L($key: String) { scheduledFlagChanges(key: $key) { id key input } }';
  const at = () => new Date(Date.now() + 3_600_000).toISOString();

  it('can neither see, cancel nor learn the input of a schedule that touches an INTERNAL flag', async () => {
    const superadmin = t.superadmin.accessToken;
    const internal = uniqueKey('attack.internal');
    await createFlag({ key: internal, visibility: 'INTERNAL' }, superadmin);
    const secret = { rolloutPercentage: 7, description: 'secret rollout plan' };
    const onInternal = dataOf(await t.gql<{ scheduleFlagChange: { id: string } }>(SCHEDULE, { key: internal, at: at(), input: secret }, superadmin)).scheduleFlagChange;
    // A schedule that would make a visible flag INTERNAL is the backend's too.
    const visible = uniqueKey('attack.visible');
    await createFlag({ key: visible, visibility: 'ADMIN' });
    const makesInternal = dataOf(await t.gql<{ scheduleFlagChange: { id: string } }>(SCHEDULE, { key: visible, at: at(), input: { visibility: 'INTERNAL' } }, superadmin)).scheduleFlagChange;

    for (const id of [onInternal.id, makesInternal.id]) {
      const refused = await t.gql(CANCEL, { id }, admin.accessToken);
      // Exactly what an unknown id gets: no status, no input, no key.
      expect(refused.body).toEqual((await t.gql(CANCEL, { id: '00000000-0000-4000-8000-000000000000' }, admin.accessToken)).body);
      expect(errorOf(refused).extensions?.code).toBe('NOT_FOUND');
    }
    const listed = JSON.stringify(dataOf(await t.gql(LIST, {}, admin.accessToken)));
    expect(listed).not.toContain(onInternal.id);
    expect(listed).not.toContain(makesInternal.id);
    expect(listed).not.toContain('secret rollout plan');
    expect(dataOf(await t.gql('query H($key: String!) { flagHistory(key: $key) { version before after } }', { key: internal }, admin.accessToken))).toEqual({ flagHistory: [] });

    // Still pending: the SUPERADMIN who wrote them cancels them.
    expect(dataOf(await t.gql(CANCEL, { id: onInternal.id }, superadmin))).toEqual({
      cancelScheduledFlagChange: { id: onInternal.id, key: internal, status: 'CANCELLED', input: secret },
    });
    expect(dataOf(await t.gql(CANCEL, { id: makesInternal.id }, superadmin)).cancelScheduledFlagChange).toMatchObject({ status: 'CANCELLED' });
  });

  it('cannot create, change, delete or schedule INTERNAL flags, nor make a flag INTERNAL', async () => {
    const internal = uniqueKey('attack.write');
    const created = await createFlag({ key: internal, visibility: 'INTERNAL', rolloutPercentage: 10 }, t.superadmin.accessToken);
    const visible = uniqueKey('attack.promote');
    await createFlag({ key: visible, visibility: 'PUBLIC' });
    const code = async (query: string, variables: Record<string, unknown>) => errorOf(await t.gql(query, variables, admin.accessToken)).extensions?.code;

    expect(await code(CREATE, { input: { key: uniqueKey('attack.new'), visibility: 'INTERNAL' } })).toBe('FORBIDDEN');
    expect(await code(UPDATE, { key: internal, input: { rolloutPercentage: 100 } })).toBe('FORBIDDEN');
    expect(await code(UPDATE, { key: internal, input: { visibility: 'PUBLIC' } })).toBe('FORBIDDEN');
    expect(await code(UPDATE, { key: visible, input: { visibility: 'INTERNAL' } })).toBe('FORBIDDEN');
    expect(await code(DELETE, { key: internal })).toBe('FORBIDDEN');
    expect(await code(SCHEDULE, { key: internal, at: at(), input: { enabled: false } })).toBe('FORBIDDEN');
    expect(await code(SCHEDULE, { key: visible, at: at(), input: { visibility: 'INTERNAL' } })).toBe('FORBIDDEN');

    // Nothing changed: the backend sees the flag as the SUPERADMIN wrote it, and nothing is scheduled.
    const backend = createFlagsClient({ url: `${t.supergraph.subgraphs.flags!.url}/graphql` });
    await backend.ready(10_000);
    expect(backend.flag(internal)).toEqual(created);
    expect(backend.flag(visible)?.visibility).toBe('PUBLIC');
    await backend.close();
    const superadminList = JSON.stringify(dataOf(await t.gql('{ scheduledFlagChanges { key } }', {}, t.superadmin.accessToken)));
    expect(superadminList).not.toContain(visible);
    // A SUPERADMIN may: the backend's flags are written by them.
    expect((await updateFlag(internal, { rolloutPercentage: 20 }, t.superadmin.accessToken)).rolloutPercentage).toBe(20);
  });
});

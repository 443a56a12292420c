import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type DatabaseHandle } from '@voiceassist/database';
import type { TargetingRule } from '@voiceassist/flags-client/evaluate';
import { createTestDatabase, type TestDatabase } from '@voiceassist/testkit/database';
import { findDatabaseTraces } from '@voiceassist/testkit/traces';
import { openSubgraphDatabase } from '@voiceassist/database';
import { flagsDatabase } from './db/database.js';
import { createFlagsErasure, ERASED_PLACEHOLDER, rulesWithout } from './erasure.js';
import { createSchedules } from './schedules.js';
import { createFlagStore, type FlagChangeRecord } from './store.js';

// A person named in targeting rules, a pending scheduled change and the history: after their
// erasure, no row of the flags schema holds their id; the rules work on for everyone else, each
// removal is a recorded change, and the pending change is rescheduled without them.

let target: TestDatabase;
let database: DatabaseHandle;

beforeAll(async () => {
  target = await createTestDatabase();
  database = await openSubgraphDatabase(flagsDatabase, { url: target.url });
});
afterAll(async () => {
  await database?.close();
  await target?.drop();
});

const userRule = (values: string[], enabled = true): TargetingRule => ({ kind: 'USER_ID_IN', attribute: null, values, enabled, variant: null });
const flag = (key: string, rules: TargetingRule[], visibility: 'PUBLIC' | 'INTERNAL' = 'PUBLIC') => ({ key, description: '', enabled: true, visibility, variants: [], rules, rolloutPercentage: 0 });
const scan = (needles: string[]) => findDatabaseTraces((statement) => database.query(sql.raw(statement)), ['flags'], needles);

describe('erasing a person from flags', () => {
  it('takes their id out of rules, schedules and history as recorded changes, and can run again', async () => {
    const store = createFlagStore(database.db);
    const schedules = createSchedules(database.db, store);
    const announced: FlagChangeRecord[] = [];
    const erasure = createFlagsErasure({ db: database.db, store, announce: (change) => announced.push(change) });
    const person = randomUUID();
    const other = randomUUID();
    const admin = randomUUID();
    await store.create(flag('beta.notes', [userRule([person, other]), userRule([person], false)]), admin);
    await store.update('beta.notes', { rolloutPercentage: 10 }, { actorId: person });
    await store.create(flag('beta.other', [userRule([other])]), admin);
    await store.create(flag('ops.internal', [userRule([person])], 'INTERNAL'), admin);
    const pending = await schedules.schedule('beta.other', new Date(Date.now() + 3_600_000), { rules: [userRule([other, person])], enabled: false }, admin);
    const exported = await erasure.exportData(person);
    expect(exported.targetingRules).toEqual([
      { flag: 'beta.notes', ruleIndex: 0, kind: 'USER_ID_IN', enabled: true, variant: null },
      { flag: 'beta.notes', ruleIndex: 1, kind: 'USER_ID_IN', enabled: false, variant: null },
    ]);
    expect(exported.pendingScheduledChanges).toEqual([expect.objectContaining({ id: pending.id, flag: 'beta.other' })]);

    await erasure.erase(person);

    expect(await scan([person])).toEqual([]);
    expect((await store.get('beta.notes'))!.rules).toEqual([userRule([other])]);
    expect((await store.get('ops.internal'))!.rules).toEqual([]);
    const [removal] = await store.history('beta.notes', 1);
    expect(removal).toMatchObject({ action: 'UPDATED', actorId: null, reason: 'erasure', after: { rules: [userRule([other])] } });
    expect(removal!.before!.rules).toEqual([userRule([ERASED_PLACEHOLDER, other]), userRule([ERASED_PLACEHOLDER], false)]);
    // Where the person was the actor, the change stays without them.
    expect((await store.history('beta.notes', 5)).find((c) => c.after?.rolloutPercentage === 10 && c.before?.rolloutPercentage === 0)?.actorId).toBeNull();
    expect(announced.map((c) => c.key).sort()).toEqual(['beta.notes', 'ops.internal']);
    expect(JSON.stringify(announced)).not.toContain(person);
    const cancelled = await schedules.get(pending.id);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', failureReason: 'erasure', cancelledBy: null });
    const [replacement] = await schedules.list({ key: 'beta.other', status: 'PENDING', limit: 10 });
    expect(replacement).toMatchObject({ at: pending.at, createdBy: admin, changes: { rules: [userRule([other])], enabled: false } });
    expect(await erasure.exportData(person)).toEqual({ targetingRules: [], pendingScheduledChanges: [] });

    const version = await store.currentVersion();
    await erasure.erase(person);
    expect(await store.currentVersion()).toBe(version);
    expect(await scan([person])).toEqual([]);
  });

  it('drops a rule left with no values and keeps every other rule as it was', () => {
    const person = randomUUID();
    const roles: TargetingRule = { kind: 'ROLE_IN', attribute: null, values: ['ADMIN'], enabled: true, variant: null };
    expect(rulesWithout([userRule([person]), roles, userRule(['a', person, 'b'])], person)).toEqual([roles, userRule(['a', 'b'])]);
  });
});

import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessRevocations, type Viewer } from '@voiceassist/auth';
import { sql, type DatabaseHandle } from '@voiceassist/database';
import { ERASURE_CONFIRMED_TOPIC, USER_ERASED_TOPIC, type UserErasedEvent } from '@voiceassist/erasure';
import { errorCode } from '@voiceassist/errors';
import { createLogger } from '@voiceassist/logging';
import { createInProcessPubSub, type PubSub } from '@voiceassist/pubsub';
import { createMemoryRateLimiter } from '@voiceassist/rate-limit';
import { waitUntil } from '@voiceassist/testkit/wait';
import { createAuditLog, type AuditLog } from './audit-log.js';
import { userErasures, userKeys, users } from './db/schema.js';
import { createErasures, type Erasures } from './erasures.js';
import { hashPassword } from './passwords.js';
import { createRefreshSessions } from './refresh-sessions.js';
import { createRevokedSessions } from './revoked-sessions.js';
import { createSigningKeys } from './signing-keys.js';
import { openTestDatabase } from '@voiceassist/testkit/database';
import { identityDatabase } from './db/database.js';
import { createAuthThrottle } from './throttle.js';
import { createUserAdmin, type UserAdmin } from './user-admin.js';

const PASSWORD = 'violet kettle harbour';
const SUBGRAPHS = ['conversation', 'knowledge', 'voice', 'flags'];
let database: DatabaseHandle;
let close: () => Promise<void>;
let audit: AuditLog;
let pubsub: PubSub;
let erasures: Erasures;
let admin: UserAdmin;
let passwordHash: string;
const origin = { actorId: null, ip: '203.0.113.50', userAgent: 'erasure-test', requestId: 'r' };

beforeAll(async () => {
  ({ database, close } = await openTestDatabase(identityDatabase));
  const { db } = database;
  const keys = createSigningKeys({ db, accessTokenTtlSeconds: 900 });
  await keys.init();
  audit = createAuditLog(db);
  await audit.init();
  pubsub = createInProcessPubSub(randomUUID());
  erasures = createErasures({ db, audit, pubsub, logger: createLogger({ service: 'identity', level: 'silent' }), subgraphs: SUBGRAPHS });
  erasures.listen();
  const sessions = createRefreshSessions({
    revocations: createInProcessRevocations(randomUUID()),
    revokedSessions: createRevokedSessions({ db, keepSeconds: 3600 }),
    refreshTtlSeconds: 3600,
    revocationKeepSeconds: 3600,
  });
  admin = createUserAdmin({ db, audit, sessions, keys, erasures, throttle: createAuthThrottle(createMemoryRateLimiter(), 1000) });
  passwordHash = await hashPassword(PASSWORD);
});
afterAll(async () => {
  await erasures.close();
  await close();
});

async function createUser(role: 'USER' | 'SUPERADMIN' = 'USER') {
  const [user] = await database.db.insert(users).values({ email: `${randomUUID()}@example.com`, passwordHash, displayName: 'Someone', role }).returning();
  // An audit entry about them, so they have a key to shred.
  await database.db.transaction((tx) => audit.append(tx, { ...origin, actorId: user!.id }, { action: 'login', targetType: 'user', targetId: user!.id }));
  return user!;
}
const viewerOf = (user: { id: string; role: Viewer['role'] }): Viewer => ({ userId: user.id, role: user.role, sessionId: randomUUID(), expiresAt: new Date(Date.now() + 60_000) });
const outboxRow = async (userId: string) => (await database.db.select().from(userErasures).where(eq(userErasures.userId, userId)))[0];
const keyRow = async (userId: string) => (await database.db.select().from(userKeys).where(eq(userKeys.userId, userId)))[0];
const userRow = async (userId: string) => (await database.db.select().from(users).where(eq(users.id, userId)))[0];
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'succeeded',
    (error: Error) => `${errorCode(error)}:${(error as { extensions?: { field?: string } }).extensions?.field ?? ''}`,
  );

describe('the erasure outbox', () => {
  it('exists exactly when the deletion committed: a failed deletion leaves neither the record nor a lost key', async () => {
    const superadmin = await createUser('SUPERADMIN');
    const target = await createUser();
    // The deletion's last statement fails, as a database error would.
    await database.query(sql.raw(`CREATE FUNCTION identity.refuse_user_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END; $$`));
    await database.query(sql.raw(`CREATE TRIGGER refuse_user_delete BEFORE DELETE ON identity.users FOR EACH ROW EXECUTE FUNCTION identity.refuse_user_delete()`));
    try {
      await expect(admin.deleteUser(viewerOf(superadmin), target.id, { ...origin, actorId: superadmin.id })).rejects.toThrow();
    } finally {
      await database.query(sql.raw(`DROP TRIGGER refuse_user_delete ON identity.users`));
      await database.query(sql.raw(`DROP FUNCTION identity.refuse_user_delete()`));
    }
    expect(await outboxRow(target.id)).toBeUndefined();
    expect(await userRow(target.id)).toBeDefined();
    expect(await keyRow(target.id)).toBeDefined();

    const announced = pubsub.subscribe<UserErasedEvent>(USER_ERASED_TOPIC);
    expect(await admin.deleteUser(viewerOf(superadmin), target.id, { ...origin, actorId: superadmin.id })).toBe(true);
    expect(await outboxRow(target.id)).toMatchObject({ userId: target.id, requestedBy: superadmin.id, completedAt: null });
    expect(await userRow(target.id)).toBeUndefined();
    expect(await keyRow(target.id)).toBeUndefined();
    const event = (await announced.next()).value as UserErasedEvent;
    expect(event).toEqual({ userId: target.id, requestedAt: (await outboxRow(target.id))!.requestedAt.getTime() });
    await announced.return?.();
  });
});

describe('deleteMe', () => {
  it('refuses a wrong password on the password field and deletes nothing', async () => {
    const user = await createUser();
    expect(await failure(admin.deleteMe(viewerOf(user), 'not my password at all', { ...origin, actorId: user.id }))).toBe('BAD_USER_INPUT:password');
    expect(await userRow(user.id)).toBeDefined();
    expect(await outboxRow(user.id)).toBeUndefined();
    expect(await keyRow(user.id)).toBeDefined();
  });

  it('with the password: deletes the caller and records the erasure as requested by themself', async () => {
    const user = await createUser();
    expect(await admin.deleteMe(viewerOf(user), PASSWORD, { ...origin, actorId: user.id })).toBe(true);
    expect(await userRow(user.id)).toBeUndefined();
    expect(await outboxRow(user.id)).toMatchObject({ requestedBy: user.id });
    expect(await keyRow(user.id)).toBeUndefined();
  });

  it('refuses the last SUPERADMIN', async () => {
    await database.db.update(users).set({ role: 'USER' }).where(eq(users.role, 'SUPERADMIN'));
    const only = await createUser('SUPERADMIN');
    expect(await failure(admin.deleteMe(viewerOf(only), PASSWORD, { ...origin, actorId: only.id }))).toBe('FORBIDDEN:');
    const second = await createUser('SUPERADMIN');
    expect(await admin.deleteMe(viewerOf(second), PASSWORD, { ...origin, actorId: second.id })).toBe(true);
    expect(await userRow(only.id)).toBeDefined();
  });
});

describe('the feed and the confirmations', () => {
  const erase = async () => {
    const superadmin = await createUser('SUPERADMIN');
    const target = await createUser();
    await admin.deleteUser(viewerOf(superadmin), target.id, { ...origin, actorId: superadmin.id });
    return target.id;
  };
  const completions = async (userId: string) => (await audit.list({ limit: 100, action: 'user_erasure_complete' })).filter((e) => e.targetId === userId);
  const confirm = (userId: string, subgraph: string) => pubsub.publish(ERASURE_CONFIRMED_TOPIC, { userId, subgraph, erasedAt: Date.now() });

  it('completes an erasure once every expected subgraph confirmed, with exactly one audit entry however often they confirm', async () => {
    const userId = await erase();
    for (const subgraph of SUBGRAPHS.slice(0, 3)) await confirm(userId, subgraph);
    await confirm(userId, 'somebody-else');
    await waitUntil(async () => (await erasures.status(userId))!.confirmations.size === 4);
    expect((await outboxRow(userId))!.completedAt).toBeNull();
    expect(await completions(userId)).toEqual([]);

    // The last one arrives many times at once (every identity replica, every resend).
    await Promise.all(Array.from({ length: 5 }, () => confirm(userId, 'flags')));
    await waitUntil(async () => (await outboxRow(userId))!.completedAt !== null);
    await Promise.all(SUBGRAPHS.map((subgraph) => confirm(userId, subgraph)));
    await waitUntil(async () => (await erasures.status(userId))!.confirmations.size === 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await completions(userId)).toHaveLength(1);
    expect((await completions(userId))[0]).toMatchObject({ actorId: null, targetType: 'user', metadata: { subgraphs: [...SUBGRAPHS].sort() } });
    expect(await audit.verify()).toMatchObject({ valid: true });
  });

  it('ignores confirmations for nobody it deleted', async () => {
    const stranger = randomUUID();
    await erasures.confirm({ userId: stranger, subgraph: 'voice', erasedAt: Date.now() });
    expect(await erasures.status(stranger)).toBeNull();
  });

  it('lists every erasure without since; with it, the recent ones and every pending one', async () => {
    const pendingOld = await erase();
    const completedOld = await erase();
    for (const subgraph of SUBGRAPHS) await erasures.confirm({ userId: completedOld, subgraph, erasedAt: Date.now() });
    await erasures.confirm({ userId: pendingOld, subgraph: 'voice', erasedAt: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = Date.now();
    const recent = await erase();

    const all = await erasures.feed();
    expect(all.erasures.map((e) => e.userId)).toEqual(expect.arrayContaining([pendingOld, completedOld, recent]));
    const later = await erasures.feed(since);
    const listed = later.erasures.map((e) => e.userId);
    expect(listed).toEqual(expect.arrayContaining([pendingOld, recent]));
    expect(listed).not.toContain(completedOld);
    expect(later.erasures.find((e) => e.userId === pendingOld)!.confirmedBy).toEqual(['voice']);
    expect(later.asOf).toBeGreaterThanOrEqual(since);
  });
});

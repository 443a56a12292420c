import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInProcessRevocations, createSessionRevocations, type SessionRevocations, type Viewer } from '@voiceassist/auth';
import { sql, type DatabaseHandle } from '@voiceassist/database';
import { errorCode } from '@voiceassist/errors';
import { createLogger } from '@voiceassist/logging';
import { createInProcessPubSub } from '@voiceassist/pubsub';
import { createMemoryRateLimiter } from '@voiceassist/rate-limit';
import { createAccessTokenIssuer } from './access-tokens.js';
import { createAccounts, type Accounts, type AuthResult } from './accounts.js';
import { createAuditLog } from './audit-log.js';
import { createErasures } from './erasures.js';
import { refreshTokens, revokedSessions as revokedSessionsTable, sessions as sessionsTable, users } from './db/schema.js';
import { createRefreshSessions, hashRefreshToken, type RefreshSessions } from './refresh-sessions.js';
import { createRevokedSessions, type RevokedSessions } from './revoked-sessions.js';
import { createSigningKeys } from './signing-keys.js';
import { openTestDatabase } from '@voiceassist/testkit/database';
import { identityDatabase } from './db/database.js';
import { createAuthThrottle } from './throttle.js';
import { createUserAdmin, type UserAdmin } from './user-admin.js';

let database: DatabaseHandle;
let close: () => Promise<void>;
let revocations: SessionRevocations;
let sessions: RefreshSessions;
let revokedSessions: RevokedSessions;
let accounts: Accounts;
let admin: UserAdmin;

const origin = { actorId: null, ip: '192.0.2.10', userAgent: 'vitest', requestId: 'r' };
const PASSWORD = 'violet kettle harbour';

beforeAll(async () => {
  ({ database, close } = await openTestDatabase(identityDatabase));
  const { db } = database;
  const keys = createSigningKeys({ db, accessTokenTtlSeconds: 900 });
  await keys.init();
  revocations = createInProcessRevocations(randomUUID());
  revokedSessions = createRevokedSessions({ db, keepSeconds: 3600 });
  sessions = createRefreshSessions({ revocations, revokedSessions, refreshTtlSeconds: 3600, revocationKeepSeconds: 3600 });
  const audit = createAuditLog(db);
  const throttle = createAuthThrottle(createMemoryRateLimiter(), 1000);
  const logger = createLogger({ service: 'identity', level: 'silent' });
  accounts = createAccounts({
    db,
    audit,
    sessions,
    tokens: createAccessTokenIssuer({ keys, issuer: 'i', audience: 'a', ttlSeconds: 900 }),
    throttle,
    logger,
  });
  const erasures = createErasures({ db, audit, pubsub: createInProcessPubSub(randomUUID()), logger, subgraphs: [] });
  admin = createUserAdmin({ db, audit, sessions, keys, erasures, throttle });
});
afterAll(() => close());

async function failure(promise: Promise<unknown>) {
  return promise.then(
    () => 'succeeded',
    (error: Error) => `${errorCode(error)}: ${error.message}`,
  );
}

const register = (email: string) => accounts.register({ email, password: PASSWORD, displayName: 'Someone' }, origin);

describe('first user and seeding', () => {
  beforeEach(async () => {
    await database.db.delete(users);
  });

  it('makes exactly one SUPERADMIN when the first registrations race, and later users USER', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => register(`racer${i}@example.com`)));
    expect(results.map((r) => r.user.role).sort()).toEqual(['SUPERADMIN', 'USER', 'USER', 'USER']);
    expect((await register('later@example.com')).user.role).toBe('USER');
  });

  it('seeds a SUPERADMIN into an empty database, once, who can then log in', async () => {
    const seeded = await accounts.seedSuperadmin('Seed@Example.com', PASSWORD);
    expect(seeded).toMatchObject({ email: 'seed@example.com', role: 'SUPERADMIN', displayName: 'seed' });
    expect(await accounts.seedSuperadmin('seed@example.com', PASSWORD)).toBeUndefined();
    expect((await accounts.login('seed@example.com', PASSWORD, origin)).user.role).toBe('SUPERADMIN');
    expect((await register('first-registered@example.com')).user.role).toBe('USER');
  });

  it('does not seed a SUPERADMIN once users exist', async () => {
    await register('existing@example.com');
    expect(await accounts.seedSuperadmin('seed@example.com', PASSWORD)).toBeUndefined();
    expect(await database.db.select().from(users).where(eq(users.email, 'seed@example.com'))).toEqual([]);
  });

  it('refuses a malformed seed email', async () => {
    await expect(accounts.seedSuperadmin('root', PASSWORD)).rejects.toThrow('SEED_SUPERADMIN_EMAIL must be an email address');
  });

  it('refuses a seed password that breaks the policy, naming the rules', async () => {
    await expect(accounts.seedSuperadmin('seed@example.com', 'password')).rejects.toThrow(
      'SEED_SUPERADMIN_PASSWORD does not meet the password policy: TOO_SHORT, COMMON_PASSWORD',
    );
  });
});

describe('passwords', () => {
  it('are stored only as argon2id hashes', async () => {
    const { user } = await register(`argon-${randomUUID()}@example.com`);
    const [row] = await database.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, user.id));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row?.passwordHash).not.toContain(PASSWORD);
  });
});

describe('refresh tokens', () => {
  it('are stored only as SHA-256 hashes', async () => {
    const { refreshToken } = await register(`hash-${randomUUID()}@example.com`);
    const stored = await database.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hashRefreshToken(refreshToken)));
    expect(stored).toHaveLength(1);
    const leaked = await database.query(sql`select 1 from identity.refresh_tokens where token_hash = ${refreshToken}`);
    expect(leaked).toHaveLength(0);
  });

  it('rotate on every use, and reuse of a rotated one revokes the whole family', async () => {
    const first = await register(`rotate-${randomUUID()}@example.com`);
    const second = await accounts.refresh(first.refreshToken, origin);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await accounts.refresh(second.refreshToken, origin);

    expect(await failure(accounts.refresh(first.refreshToken, origin))).toBe('UNAUTHENTICATED: Refresh token was already used; the session has been revoked');
    // The newest token of the family dies with it, and so do its access tokens.
    expect(await failure(accounts.refresh(third.refreshToken, origin))).toBe('UNAUTHENTICATED: Invalid or expired refresh token');
    const sid = (await database.db.select().from(sessionsTable).where(eq(sessionsTable.userId, first.user.id)))[0]!;
    expect(sid.revokedReason).toBe('refresh_token_reuse');
    expect(revocations.isRevoked(sid.id)).toBe(true);
  });

  it('let only one of two concurrent exchanges of the same token win', async () => {
    const { refreshToken } = await register(`race-${randomUUID()}@example.com`);
    const outcomes = await Promise.all([failure(accounts.refresh(refreshToken, origin)), failure(accounts.refresh(refreshToken, origin))]);
    expect(outcomes.sort()).toEqual(['UNAUTHENTICATED: Refresh token was already used; the session has been revoked', 'succeeded']);
  });

  it('expire after their lifetime', async () => {
    const { user } = await register(`expire-${randomUUID()}@example.com`);
    const past = createRefreshSessions({ revocations, revokedSessions, refreshTtlSeconds: 60, revocationKeepSeconds: 3600, now: () => Date.now() - 120_000 });
    const issued = await database.db.transaction((tx) => past.open(tx, { userId: user.id }));
    expect(await failure(accounts.refresh(issued.refreshToken, origin))).toBe('UNAUTHENTICATED: Invalid or expired refresh token');
    expect(await failure(accounts.refresh('made-up-token', origin))).toBe('UNAUTHENTICATED: Invalid or expired refresh token');
  });

  it('stop working for a deactivated user', async () => {
    const { user, refreshToken } = await register(`inactive-${randomUUID()}@example.com`);
    await database.db.update(users).set({ active: false }).where(eq(users.id, user.id));
    expect(await failure(accounts.refresh(refreshToken, origin))).toBe('UNAUTHENTICATED: This account is deactivated');
    expect(await failure(accounts.login(user.email, PASSWORD, origin))).toBe('UNAUTHENTICATED: This account is deactivated');
  });
});

describe('login', () => {
  it('gives an unknown email and a wrong password the same answer', async () => {
    const { user } = await register(`login-${randomUUID()}@example.com`);
    const wrongPassword = await failure(accounts.login(user.email, 'not the right password', origin));
    const unknownEmail = await failure(accounts.login(`nobody-${randomUUID()}@example.com`, PASSWORD, origin));
    expect(wrongPassword).toBe('UNAUTHENTICATED: Invalid email or password');
    expect(unknownEmail).toBe(wrongPassword);
    expect(await failure(accounts.login(` ${user.email.toUpperCase()} `, PASSWORD, origin))).toBe('succeeded');
  });
});

describe('sessions', () => {
  it('revoke only live sessions and report which', async () => {
    const { user } = await register(`revoke-${randomUUID()}@example.com`);
    await accounts.login(user.email, PASSWORD, origin);
    const revoked = await database.db.transaction((tx) => sessions.revoke(tx, { userId: user.id }, 'test'));
    expect(revoked).toHaveLength(2);
    expect(await database.db.transaction((tx) => sessions.revoke(tx, { userId: user.id }, 'test'))).toEqual([]);
  });
});

describe('durable revocations', () => {
  const sessionOf = (auth: AuthResult) => decodeJwt(auth.accessToken).sid as string;
  const viewerOf = (auth: AuthResult): Viewer => ({ userId: auth.user.id, role: auth.user.role, sessionId: sessionOf(auth), expiresAt: new Date(Date.now() + 60_000) });
  const superadmin: Viewer = { userId: randomUUID(), role: 'SUPERADMIN', sessionId: randomUUID(), expiresAt: new Date(Date.now() + 60_000) };
  const adminOrigin = { ...origin, actorId: superadmin.userId };

  /** What a verifier that only syncs from this database refuses (it hears none of this test's pub/sub). */
  async function refusedBySync(sessionIds: string[]): Promise<boolean[]> {
    const verifierSet = createSessionRevocations({ namespace: randomUUID(), sync: { source: (since) => revokedSessions.snapshot(since), intervalMs: 60_000 } });
    expect(await verifierSet.whenSynced(5_000)).toBe(true);
    const refused = sessionIds.map((id) => verifierSet.isRevoked(id));
    await verifierSet.close();
    return refused;
  }

  it.each<[string, (a: AuthResult, b: AuthResult) => Promise<unknown>, Array<'a' | 'b'>]>([
    ['logout of the current session', (a) => accounts.logout(viewerOf(a), null, origin), ['a']],
    ['logout by refresh token', (_a, b) => accounts.logout(null, b.refreshToken, origin), ['b']],
    ['logoutEverywhere', (a) => accounts.logoutEverywhere(viewerOf(a), origin), ['a', 'b']],
    ['refresh-token reuse', async (a) => {
      await accounts.refresh(a.refreshToken, origin);
      await failure(accounts.refresh(a.refreshToken, origin));
    }, ['a']],
    ['refresh by a user deactivated behind its back', async (a) => {
      await database.db.update(users).set({ active: false }).where(eq(users.id, a.user.id));
      await failure(accounts.refresh(a.refreshToken, origin));
    }, ['a']],
    ['password change (the other sessions)', (a) => accounts.changePassword(viewerOf(a), PASSWORD, 'amber lantern orchard', origin), ['b']],
    ['deactivation by an admin', (a) => admin.updateUser(superadmin, a.user.id, { active: false }, adminOrigin), ['a', 'b']],
    ['a lowered role', (a) => admin.updateUser(superadmin, a.user.id, { role: 'VIEWER' }, adminOrigin), ['a', 'b']],
    ['deleteUser', (a) => admin.deleteUser(superadmin, a.user.id, adminOrigin), ['a', 'b']],
  ])('%s records its revocations in PostgreSQL, where a verifier syncing later finds them', async (_path, act, expected) => {
    const a = await register(`durable-${randomUUID()}@example.com`);
    const b = await accounts.login(a.user.email, PASSWORD, origin);
    const ids = { a: sessionOf(a), b: sessionOf(b) };
    const before = Date.now();
    await act(a, b);
    const rows = await database.db.select().from(revokedSessionsTable).where(inArray(revokedSessionsTable.sessionId, [ids.a, ids.b]));
    expect(rows.map((row) => row.sessionId).sort()).toEqual(expected.map((which) => ids[which]).sort());
    for (const row of rows) {
      expect(row.revokedAt.getTime()).toBeGreaterThanOrEqual(before);
      // Kept for the maximum access-token lifetime.
      expect(row.keepUntil.getTime() - row.revokedAt.getTime()).toBe(3600_000);
    }
    expect(await refusedBySync([ids.a, ids.b])).toEqual([expected.includes('a'), expected.includes('b')]);
  });

  it('outlive the deleted user and their sessions', async () => {
    const a = await register(`deleted-${randomUUID()}@example.com`);
    await admin.deleteUser(superadmin, a.user.id, adminOrigin);
    expect(await database.db.select().from(sessionsTable).where(eq(sessionsTable.userId, a.user.id))).toEqual([]);
    expect(await refusedBySync([sessionOf(a)])).toEqual([true]);
  });

  it('are served since a time, and pruned once every token of theirs has expired', async () => {
    const now = Date.now();
    const old = randomUUID();
    const recent = randomUUID();
    const expired = randomUUID();
    await database.db.transaction(async (tx) => {
      await revokedSessions.record(tx, [old], new Date(now - 600_000));
      await revokedSessions.record(tx, [recent], new Date(now - 1_000));
      await revokedSessions.record(tx, [expired], new Date(now - 3_601_000));
    });
    const all = (await revokedSessions.snapshot()).revocations.map((r) => r.sessionId);
    expect(all).toEqual(expect.arrayContaining([old, recent]));
    expect(all).not.toContain(expired);
    const since = (await revokedSessions.snapshot(now - 60_000)).revocations.map((r) => r.sessionId);
    expect(since).toContain(recent);
    expect(since).not.toContain(old);
    // A fresh store prunes on its first read.
    await createRevokedSessions({ db: database.db, keepSeconds: 3600 }).snapshot();
    expect(await database.db.select().from(revokedSessionsTable).where(eq(revokedSessionsTable.sessionId, expired))).toEqual([]);
  });
});

import { and, eq } from 'drizzle-orm';
import type { Viewer } from '@voiceassist/auth';
import type { Database } from '@voiceassist/database';
import { badUserInput, conflict, notFound, unauthenticated } from '@voiceassist/errors';
import type { Logger } from '@voiceassist/logging';
import type { AccessTokenIssuer } from './access-tokens.js';
import type { AuditLog, AuditOrigin } from './audit-log.js';
import { users, type UserRow } from './db/schema.js';
import { lockFor, type Transaction } from './db/transaction.js';
import { checkPassword, PASSWORD_MAX_LENGTH } from './password-policy.js';
import { createTimingDummy, hashPassword, verifyPassword } from './passwords.js';
import type { RefreshSessions } from './refresh-sessions.js';
import type { AuthThrottle } from './throttle.js';
import { assertPasswordPolicy, mergeSettings, normalizeEmail, validateDisplayName } from './validation.js';

export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires. */
  expiresAt: Date;
  user: UserRow;
}

/** One message for unknown email and wrong password, so a response never tells which it was. */
const invalidCredentials = () => unauthenticated('Invalid email or password');

export interface Accounts {
  register(input: { email: string; password: string; displayName: string }, origin: AuditOrigin): Promise<AuthResult>;
  login(email: string, password: string, origin: AuditOrigin): Promise<AuthResult>;
  refresh(refreshToken: string, origin: AuditOrigin): Promise<AuthResult>;
  /** Ends the session of the given refresh token, or else the caller's current one. */
  logout(viewer: Viewer | null, refreshToken: string | null | undefined, origin: AuditOrigin): Promise<boolean>;
  logoutEverywhere(viewer: Viewer, origin: AuditOrigin): Promise<boolean>;
  /** Also ends the caller's other sessions: whoever else held the old password is signed out. */
  changePassword(viewer: Viewer, currentPassword: string, newPassword: string, origin: AuditOrigin): Promise<boolean>;
  updateMe(viewer: Viewer, input: { displayName?: string | null }, origin: AuditOrigin): Promise<UserRow>;
  updateSettings(viewer: Viewer, patch: unknown, origin: AuditOrigin): Promise<UserRow>;
  /** Creates the first SUPERADMIN from env when there is no user; a no-op otherwise. */
  seedSuperadmin(email: string, password: string): Promise<UserRow | undefined>;
}

export interface AccountsOptions {
  db: Database;
  audit: AuditLog;
  sessions: RefreshSessions;
  tokens: AccessTokenIssuer;
  throttle: AuthThrottle;
  logger: Logger;
}

export function createAccounts({ db, audit, sessions, tokens, throttle, logger }: AccountsOptions): Accounts {
  const spendDummyVerification = createTimingDummy();

  async function userById(tx: Transaction, id: string, forUpdate = false): Promise<UserRow> {
    const query = tx.select().from(users).where(eq(users.id, id)).limit(1);
    const [user] = forUpdate ? await query.for('update') : await query;
    if (!user) throw notFound('User');
    return user;
  }

  async function authResult(user: UserRow, issued: { sessionId: string; refreshToken: string }): Promise<AuthResult> {
    const access = await tokens.issue({ userId: user.id, role: user.role, sessionId: issued.sessionId });
    return { accessToken: access.token, expiresAt: access.expiresAt, refreshToken: issued.refreshToken, user };
  }

  /** SUPERADMIN for the very first user; decided under a lock so two first users cannot both win. */
  async function roleForNewUser(tx: Transaction): Promise<UserRow['role']> {
    const anyUser = async () => (await tx.select({ id: users.id }).from(users).limit(1)).length > 0;
    if (await anyUser()) return 'USER';
    await lockFor(tx, 'first-user');
    return (await anyUser()) ? 'USER' : 'SUPERADMIN';
  }

  async function insertUser(tx: Transaction, values: Pick<UserRow, 'email' | 'passwordHash' | 'displayName' | 'role'> & { lastLoginAt?: Date }) {
    const now = new Date();
    const [user] = await tx
      .insert(users)
      .values({ ...values, createdAt: now, updatedAt: now })
      .onConflictDoNothing({ target: users.email })
      .returning();
    return user;
  }

  return {
    async register(input, origin) {
      const email = normalizeEmail(input.email, 'input.email');
      await throttle.attempt('register', { ip: origin.ip, email });
      assertPasswordPolicy(input.password, email, 'input.password');
      const displayName = validateDisplayName(input.displayName, 'input.displayName');
      const passwordHash = await hashPassword(input.password);
      const { user, issued } = await db.transaction(async (tx) => {
        const role = await roleForNewUser(tx);
        const user = await insertUser(tx, { email, passwordHash, displayName, role, lastLoginAt: new Date() });
        if (!user) throw conflict('An account with this email already exists', { field: 'input.email' });
        const issued = await sessions.open(tx, { userId: user.id, ip: origin.ip, userAgent: origin.userAgent });
        await audit.append(tx, { ...origin, actorId: user.id }, {
          action: 'register',
          targetType: 'user',
          targetId: user.id,
          metadata: { role: user.role, sessionId: issued.sessionId },
        });
        return { user, issued };
      });
      logger.info({ userId: user.id, role: user.role, requestId: origin.requestId }, 'user registered');
      return authResult(user, issued);
    },

    async login(rawEmail, password, origin) {
      const email = rawEmail.trim().toLowerCase();
      await throttle.login({ ip: origin.ip, email });
      const [user] = email.length <= 254 ? await db.select().from(users).where(eq(users.email, email)).limit(1) : [];
      const recordFailure = (reason: string) =>
        db.transaction((tx) =>
          audit.append(tx, { ...origin, actorId: null }, {
            action: 'login_failed',
            ...(user ? { targetType: 'user', targetId: user.id } : {}),
            metadata: { reason, email: email.slice(0, 254) },
          }),
        );
      if (!user || password.length > PASSWORD_MAX_LENGTH) {
        await spendDummyVerification();
        await recordFailure(user ? 'wrong_password' : 'unknown_email');
        throw invalidCredentials();
      }
      if (!(await verifyPassword(user.passwordHash, password))) {
        await recordFailure('wrong_password');
        throw invalidCredentials();
      }
      if (!user.active) {
        // Said only after the right password, so it tells a guesser nothing.
        await recordFailure('inactive');
        throw unauthenticated('This account is deactivated');
      }
      const { issued, current } = await db.transaction(async (tx) => {
        // Re-checked here: the account may have been deactivated or deleted since it was read.
        const [current] = await tx.update(users).set({ lastLoginAt: new Date() }).where(and(eq(users.id, user.id), eq(users.active, true))).returning();
        if (!current) throw invalidCredentials();
        const issued = await sessions.open(tx, { userId: user.id, ip: origin.ip, userAgent: origin.userAgent });
        await audit.append(tx, { ...origin, actorId: user.id }, { action: 'login', targetType: 'user', targetId: user.id, metadata: { sessionId: issued.sessionId } });
        return { issued, current };
      });
      await throttle.loginSucceeded({ ip: origin.ip, email });
      return authResult(current, issued);
    },

    async refresh(refreshToken, origin) {
      const outcome = await db.transaction(async (tx) => {
        const rotated = await sessions.rotate(tx, refreshToken);
        if (rotated.kind === 'invalid') return rotated;
        if (rotated.kind === 'reused') {
          const revoked = await sessions.revoke(tx, { sessionIds: [rotated.sessionId] }, 'refresh_token_reuse');
          await audit.append(tx, { ...origin, actorId: null }, {
            action: 'refresh_reuse',
            targetType: 'user',
            targetId: rotated.userId,
            metadata: { sessionId: rotated.sessionId },
          });
          return { ...rotated, revoked };
        }
        const user = await userById(tx, rotated.userId);
        if (!user.active) {
          // Deactivation revokes sessions; this only guards against a race with it.
          return { kind: 'inactive' as const, revoked: await sessions.revoke(tx, { sessionIds: [rotated.sessionId] }, 'user_inactive') };
        }
        await audit.append(tx, { ...origin, actorId: user.id }, { action: 'refresh', targetType: 'session', targetId: rotated.sessionId });
        return { ...rotated, user };
      });
      switch (outcome.kind) {
        case 'rotated':
          return authResult(outcome.user, outcome);
        case 'reused':
          await sessions.publishRevoked(outcome.revoked);
          logger.warn({ userId: outcome.userId, sessionId: outcome.sessionId, requestId: origin.requestId }, 'refresh token reused; session revoked');
          throw unauthenticated('Refresh token was already used; the session has been revoked');
        case 'inactive':
          await sessions.publishRevoked(outcome.revoked);
          throw unauthenticated('This account is deactivated');
        default:
          throw unauthenticated('Invalid or expired refresh token');
      }
    },

    async logout(viewer, refreshToken, origin) {
      if (!refreshToken && !viewer) throw unauthenticated();
      const revoked = await db.transaction(async (tx) => {
        const session = refreshToken ? await sessions.sessionOf(tx, refreshToken) : { sessionId: viewer!.sessionId, userId: viewer!.userId };
        if (!session) return [];
        const revoked = await sessions.revoke(tx, { sessionIds: [session.sessionId] }, 'logout');
        if (revoked.length > 0) {
          await audit.append(tx, { ...origin, actorId: viewer?.userId ?? session.userId }, { action: 'logout', targetType: 'session', targetId: session.sessionId });
        }
        return revoked;
      });
      await sessions.publishRevoked(revoked);
      return revoked.length > 0;
    },

    async logoutEverywhere(viewer, origin) {
      const revoked = await db.transaction(async (tx) => {
        const revoked = await sessions.revoke(tx, { userId: viewer.userId }, 'logout_all');
        await audit.append(tx, origin, { action: 'logout_all', targetType: 'user', targetId: viewer.userId, metadata: { sessions: revoked.length } });
        return revoked;
      });
      await sessions.publishRevoked(revoked);
      return true;
    },

    async changePassword(viewer, currentPassword, newPassword, origin) {
      await throttle.attempt('change-password', { userId: viewer.userId });
      const [user] = await db.select().from(users).where(eq(users.id, viewer.userId)).limit(1);
      if (!user) throw unauthenticated();
      const currentOk = currentPassword.length <= PASSWORD_MAX_LENGTH && (await verifyPassword(user.passwordHash, currentPassword));
      if (!currentOk) {
        await db.transaction((tx) => audit.append(tx, origin, { action: 'password_change_failed', targetType: 'user', targetId: user.id }));
        throw badUserInput('Current password is incorrect', 'currentPassword');
      }
      assertPasswordPolicy(newPassword, user.email, 'newPassword', newPassword === currentPassword ? ['SAME_AS_CURRENT'] : []);
      const passwordHash = await hashPassword(newPassword);
      const revoked = await db.transaction(async (tx) => {
        await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, user.id));
        const revoked = await sessions.revoke(tx, { userId: user.id, exceptSessionId: viewer.sessionId }, 'password_change');
        await audit.append(tx, origin, { action: 'password_change', targetType: 'user', targetId: user.id, metadata: { revokedSessions: revoked.length } });
        return revoked;
      });
      await sessions.publishRevoked(revoked);
      return true;
    },

    async updateMe(viewer, input, origin) {
      return db.transaction(async (tx) => {
        const user = await userById(tx, viewer.userId, true);
        if (input.displayName === undefined || input.displayName === null) return user;
        const displayName = validateDisplayName(input.displayName, 'input.displayName');
        const [updated] = await tx.update(users).set({ displayName, updatedAt: new Date() }).where(eq(users.id, user.id)).returning();
        await audit.append(tx, origin, { action: 'profile_update', targetType: 'user', targetId: user.id, metadata: { fields: ['displayName'] } });
        return updated!;
      });
    },

    async updateSettings(viewer, patch, origin) {
      return db.transaction(async (tx) => {
        const user = await userById(tx, viewer.userId, true);
        const settings = mergeSettings(user.settings, patch, 'settings');
        const [updated] = await tx.update(users).set({ settings, updatedAt: new Date() }).where(eq(users.id, user.id)).returning();
        // Which keys changed, never their values: settings may hold anything.
        await audit.append(tx, origin, { action: 'settings_update', targetType: 'user', targetId: user.id, metadata: { keys: Object.keys(patch as object).sort() } });
        return updated!;
      });
    },

    async seedSuperadmin(rawEmail, password) {
      let email: string;
      try {
        email = normalizeEmail(rawEmail, 'SEED_SUPERADMIN_EMAIL');
      } catch {
        throw new Error('SEED_SUPERADMIN_EMAIL must be an email address');
      }
      const reasons = checkPassword(password, { email });
      if (reasons.length > 0) throw new Error(`SEED_SUPERADMIN_PASSWORD does not meet the password policy: ${reasons.join(', ')}`);
      const [existing] = await db.select({ id: users.id }).from(users).limit(1);
      if (existing) return undefined;
      const passwordHash = await hashPassword(password);
      return db.transaction(async (tx) => {
        // Another replica or a first registration may have won meanwhile.
        if ((await roleForNewUser(tx)) !== 'SUPERADMIN') return undefined;
        const user = await insertUser(tx, { email, passwordHash, displayName: email.split('@')[0]!, role: 'SUPERADMIN' });
        await audit.append(tx, { actorId: null }, { action: 'user_seeded', targetType: 'user', targetId: user!.id, metadata: { role: 'SUPERADMIN' } });
        return user;
      });
    },
  };
}

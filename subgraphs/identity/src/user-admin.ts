import { eq } from 'drizzle-orm';
import { hasAtLeast, roleRank, type Role, type Viewer } from '@voiceassist/auth';
import type { Database } from '@voiceassist/database';
import { badUserInput, forbidden, notFound, unauthenticated } from '@voiceassist/errors';
import type { AuditLog, AuditOrigin } from './audit-log.js';
import { users, type UserRow } from './db/schema.js';
import { lockFor, type Transaction } from './db/transaction.js';
import type { Erasures } from './erasures.js';
import { PASSWORD_MAX_LENGTH } from './password-policy.js';
import { verifyPassword } from './passwords.js';
import type { RefreshSessions } from './refresh-sessions.js';
import type { SigningKeys } from './signing-keys.js';
import type { AuthThrottle } from './throttle.js';
import { isUuid } from '@voiceassist/database';
import { validateDisplayName } from './validation.js';

export interface AdminUserChange {
  role?: Role | null;
  active?: boolean | null;
  displayName?: string | null;
}

/**
 * Who may do what to whom. ADMIN+ manage accounts; only SUPERADMIN touches ADMIN+ accounts or
 * hands out ADMIN/SUPERADMIN; nobody changes their own role, deactivates or deletes themselves
 * here (deleteMe, with the password, is the way, and refuses the last SUPERADMIN), so the last
 * SUPERADMIN cannot vanish through the API.
 */
export function assertMayChangeUser(actor: { id: string; role: Role }, target: { id: string; role: Role }, change: AdminUserChange | 'delete'): void {
  if (!hasAtLeast(actor.role, 'ADMIN')) throw forbidden('Only an ADMIN can manage users');
  const self = actor.id === target.id;
  const superadmin = actor.role === 'SUPERADMIN';
  if (change === 'delete') {
    if (self) throw forbidden('You cannot delete your own account');
    if (hasAtLeast(target.role, 'ADMIN') && !superadmin) throw forbidden('Only a SUPERADMIN can modify an ADMIN or SUPERADMIN account');
    return;
  }
  const roleChanges = change.role !== undefined && change.role !== null && change.role !== target.role;
  if (self && roleChanges) throw forbidden('You cannot change your own role');
  if (self && change.active === false) throw forbidden('You cannot deactivate your own account');
  if (!self && hasAtLeast(target.role, 'ADMIN') && !superadmin) throw forbidden('Only a SUPERADMIN can modify an ADMIN or SUPERADMIN account');
  if (roleChanges && hasAtLeast(change.role!, 'ADMIN') && !superadmin) throw forbidden('Only a SUPERADMIN can grant ADMIN or SUPERADMIN');
}

export interface UserAdmin {
  updateUser(actor: Viewer, id: string, change: AdminUserChange, origin: AuditOrigin): Promise<UserRow>;
  /** Deletes the account and starts its erasure in every subgraph. */
  deleteUser(actor: Viewer, id: string, origin: AuditOrigin): Promise<boolean>;
  /** The caller deletes their own account, proving it with their password; the same erasure. */
  deleteMe(viewer: Viewer, password: string, origin: AuditOrigin): Promise<boolean>;
  rotateSigningKey(origin: AuditOrigin): Promise<boolean>;
}

export interface UserAdminOptions {
  db: Database;
  audit: AuditLog;
  sessions: RefreshSessions;
  keys: SigningKeys;
  erasures: Erasures;
  throttle: AuthThrottle;
}

export function createUserAdmin({ db, audit, sessions, keys, erasures, throttle }: UserAdminOptions): UserAdmin {
  /**
   * One transaction: sessions revoked, the audit entry (its email under the person's key), the
   * erasure outbox row with that key destroyed, and the user gone. Returns the revoked sessions.
   */
  async function deleteAccount(tx: Transaction, target: UserRow, actorId: string, origin: AuditOrigin, requestedAt: Date): Promise<string[]> {
    const revoked = await sessions.revoke(tx, { userId: target.id }, 'deleted');
    const self = actorId === target.id;
    await audit.append(tx, origin, { action: 'user_delete', targetType: 'user', targetId: target.id, metadata: { email: target.email, role: target.role, revokedSessions: revoked.length, self } });
    await erasures.record(tx, target.id, actorId, requestedAt);
    await tx.delete(users).where(eq(users.id, target.id));
    return revoked;
  }

  /** After commit: verifiers refuse the sessions at once, and the subgraphs hear of the erasure. */
  async function afterDeletion(userId: string, revoked: string[], requestedAt: Date) {
    await sessions.publishRevoked(revoked);
    await erasures.announce(userId, requestedAt);
  }

  return {
    async updateUser(actor, id, change, origin) {
      if (!isUuid(id)) throw notFound('User');
      const displayName = change.displayName === undefined || change.displayName === null ? undefined : validateDisplayName(change.displayName, 'input.displayName');
      const { updated, revoked } = await db.transaction(async (tx) => {
        const [target] = await tx.select().from(users).where(eq(users.id, id)).limit(1).for('update');
        if (!target) throw notFound('User');
        assertMayChangeUser({ id: actor.userId, role: actor.role }, target, change);
        const role = change.role ?? target.role;
        const active = change.active ?? target.active;
        const changes: Record<string, unknown> = {};
        if (role !== target.role) changes.role = { from: target.role, to: role };
        if (active !== target.active) changes.active = { from: target.active, to: active };
        if (displayName !== undefined && displayName !== target.displayName) changes.displayName = true;
        if (Object.keys(changes).length === 0) return { updated: target, revoked: [] };
        const [updated] = await tx
          .update(users)
          .set({ role, active, displayName: displayName ?? target.displayName, updatedAt: new Date() })
          .where(eq(users.id, id))
          .returning();
        // A demoted or deactivated user must not keep acting with what their live tokens say.
        const revoked = !active || roleRank(role) < roleRank(target.role) ? await sessions.revoke(tx, { userId: id }, active ? 'role_lowered' : 'deactivated') : [];
        await audit.append(tx, origin, { action: 'user_update', targetType: 'user', targetId: id, metadata: { changes, revokedSessions: revoked.length } });
        return { updated: updated!, revoked };
      });
      await sessions.publishRevoked(revoked);
      return updated;
    },

    async deleteUser(actor, id, origin) {
      if (!isUuid(id)) throw notFound('User');
      const requestedAt = new Date();
      const revoked = await db.transaction(async (tx) => {
        const [target] = await tx.select().from(users).where(eq(users.id, id)).limit(1).for('update');
        if (!target) throw notFound('User');
        assertMayChangeUser({ id: actor.userId, role: actor.role }, target, 'delete');
        return deleteAccount(tx, target, actor.userId, origin, requestedAt);
      });
      await afterDeletion(id, revoked, requestedAt);
      return true;
    },

    async deleteMe(viewer, password, origin) {
      await throttle.attempt('delete-account', { userId: viewer.userId });
      const [user] = await db.select().from(users).where(eq(users.id, viewer.userId)).limit(1);
      if (!user) throw unauthenticated();
      const passwordOk = password.length <= PASSWORD_MAX_LENGTH && (await verifyPassword(user.passwordHash, password));
      if (!passwordOk) {
        await db.transaction((tx) => audit.append(tx, origin, { action: 'user_delete_failed', targetType: 'user', targetId: user.id }));
        throw badUserInput('Password is incorrect', 'password');
      }
      const requestedAt = new Date();
      const revoked = await db.transaction(async (tx) => {
        const [target] = await tx.select().from(users).where(eq(users.id, viewer.userId)).limit(1).for('update');
        if (!target) throw unauthenticated();
        if (target.role === 'SUPERADMIN') {
          // Two last SUPERADMINs deleting themselves at once: the lock lets one through.
          await lockFor(tx, 'superadmins');
          const superadmins = await tx.select({ id: users.id }).from(users).where(eq(users.role, 'SUPERADMIN')).limit(2);
          if (superadmins.length < 2) throw forbidden('The last SUPERADMIN cannot delete their account');
        }
        return deleteAccount(tx, target, viewer.userId, origin, requestedAt);
      });
      await afterDeletion(viewer.userId, revoked, requestedAt);
      return true;
    },

    async rotateSigningKey(origin) {
      const { kid } = await keys.rotate();
      await db.transaction((tx) => audit.append(tx, origin, { action: 'signing_key_rotate', metadata: { kid } }));
      return true;
    },
  };
}

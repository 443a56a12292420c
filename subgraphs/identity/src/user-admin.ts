import { eq } from 'drizzle-orm';
import { hasAtLeast, roleRank, type Role, type Viewer } from '@voiceassist/auth';
import type { Database } from '@voiceassist/database';
import { forbidden, notFound } from '@voiceassist/errors';
import type { AuditLog, AuditOrigin } from './audit-log.js';
import { users, type UserRow } from './db/schema.js';
import type { RefreshSessions } from './refresh-sessions.js';
import type { SigningKeys } from './signing-keys.js';
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
 * (which also means the last SUPERADMIN cannot vanish through the API).
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
  deleteUser(actor: Viewer, id: string, origin: AuditOrigin): Promise<boolean>;
  rotateSigningKey(origin: AuditOrigin): Promise<boolean>;
}

export function createUserAdmin({ db, audit, sessions, keys }: { db: Database; audit: AuditLog; sessions: RefreshSessions; keys: SigningKeys }): UserAdmin {
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
      const revoked = await db.transaction(async (tx) => {
        const [target] = await tx.select().from(users).where(eq(users.id, id)).limit(1).for('update');
        if (!target) throw notFound('User');
        assertMayChangeUser({ id: actor.userId, role: actor.role }, target, 'delete');
        const revoked = await sessions.revoke(tx, { userId: id }, 'deleted');
        await tx.delete(users).where(eq(users.id, id));
        await audit.append(tx, origin, { action: 'user_delete', targetType: 'user', targetId: id, metadata: { email: target.email, role: target.role, revokedSessions: revoked.length } });
        return revoked;
      });
      await sessions.publishRevoked(revoked);
      return true;
    },

    async rotateSigningKey(origin) {
      const { kid } = await keys.rotate();
      await db.transaction((tx) => audit.append(tx, origin, { action: 'signing_key_rotate', metadata: { kid } }));
      return true;
    },
  };
}

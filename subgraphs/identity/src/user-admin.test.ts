import { describe, expect, it } from 'vitest';
import type { Role } from '@voiceassist/auth';
import { errorCode } from '@voiceassist/errors';
import { assertMayChangeUser, type AdminUserChange } from './user-admin.js';

const account = (id: string, role: Role) => ({ id, role });

function verdict(actor: { id: string; role: Role }, target: { id: string; role: Role }, change: AdminUserChange | 'delete') {
  try {
    assertMayChangeUser(actor, target, change);
    return 'allowed';
  } catch (error) {
    return `${errorCode(error)}: ${(error as Error).message}`;
  }
}

describe('who may change whom', () => {
  const superadmin = account('s', 'SUPERADMIN');
  const admin = account('a', 'ADMIN');
  const otherAdmin = account('a2', 'ADMIN');
  const user = account('u', 'USER');
  const viewer = account('v', 'VIEWER');

  it.each<[string, { id: string; role: Role }, { id: string; role: Role }, AdminUserChange | 'delete', string]>([
    ['admin demotes a user to viewer', admin, user, { role: 'VIEWER' }, 'allowed'],
    ['admin promotes a viewer to user', admin, viewer, { role: 'USER' }, 'allowed'],
    ['admin deactivates a user', admin, user, { active: false }, 'allowed'],
    ['admin deletes a user', admin, user, 'delete', 'allowed'],
    ['admin grants ADMIN', admin, user, { role: 'ADMIN' }, 'FORBIDDEN: Only a SUPERADMIN can grant ADMIN or SUPERADMIN'],
    ['admin grants SUPERADMIN', admin, user, { role: 'SUPERADMIN' }, 'FORBIDDEN: Only a SUPERADMIN can grant ADMIN or SUPERADMIN'],
    ['admin renames another admin', admin, otherAdmin, { displayName: 'x' }, 'FORBIDDEN: Only a SUPERADMIN can modify an ADMIN or SUPERADMIN account'],
    ['admin demotes a superadmin', admin, superadmin, { role: 'USER' }, 'FORBIDDEN: Only a SUPERADMIN can modify an ADMIN or SUPERADMIN account'],
    ['admin deletes another admin', admin, otherAdmin, 'delete', 'FORBIDDEN: Only a SUPERADMIN can modify an ADMIN or SUPERADMIN account'],
    ['admin promotes themself', admin, admin, { role: 'SUPERADMIN' }, 'FORBIDDEN: You cannot change your own role'],
    ['admin renames themself', admin, admin, { displayName: 'New name' }, 'allowed'],
    ['superadmin grants ADMIN', superadmin, user, { role: 'ADMIN' }, 'allowed'],
    ['superadmin grants SUPERADMIN', superadmin, admin, { role: 'SUPERADMIN' }, 'allowed'],
    ['superadmin demotes an admin', superadmin, admin, { role: 'USER' }, 'allowed'],
    ['superadmin demotes themself', superadmin, superadmin, { role: 'ADMIN' }, 'FORBIDDEN: You cannot change your own role'],
    ['superadmin "sets" their own role unchanged', superadmin, superadmin, { role: 'SUPERADMIN', displayName: 'Boss' }, 'allowed'],
    ['superadmin deactivates themself', superadmin, superadmin, { active: false }, 'FORBIDDEN: You cannot deactivate your own account'],
    ['superadmin deletes themself', superadmin, superadmin, 'delete', 'FORBIDDEN: You cannot delete your own account'],
    ['user changes anyone', user, viewer, { role: 'USER' }, 'FORBIDDEN: Only an ADMIN can manage users'],
    ['user promotes themself', user, user, { role: 'ADMIN' }, 'FORBIDDEN: Only an ADMIN can manage users'],
  ])('%s', (_case, actor, target, change, expected) => {
    expect(verdict(actor, target, change)).toBe(expected);
  });
});

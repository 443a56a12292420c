import { hasAtLeast, type Role } from '@voiceassist/auth';
import { forbidden } from '@voiceassist/errors';
import type { FlagVisibility } from '@voiceassist/flags-client/evaluate';

/**
 * Whether a caller with this role (null: anonymous) may see a flag. INTERNAL is false for every
 * caller: those flags reach only the backend feed.
 */
export function canSee(role: Role | null, visibility: FlagVisibility): boolean {
  switch (visibility) {
    case 'PUBLIC':
      return true;
    case 'AUTHENTICATED':
      return role !== null;
    case 'ADMIN':
      return role !== null && hasAtLeast(role, 'ADMIN');
    default:
      return false;
  }
}

/** What an ADMIN+ may manage through queries: everything but INTERNAL. */
export const isClientVisible = (visibility: FlagVisibility) => visibility !== 'INTERNAL';

/**
 * Writes (shield already requires ADMIN+): INTERNAL flags are the backend's, so only a SUPERADMIN
 * may create, change, delete or schedule them, or make a flag INTERNAL. `visibilities` are every
 * visibility the write touches (before and after); undefined ones are ignored.
 */
export function assertMayWrite(role: Role, ...visibilities: Array<FlagVisibility | undefined>): void {
  if (hasAtLeast(role, 'SUPERADMIN') || visibilities.every((v) => v === undefined || isClientVisible(v))) return;
  throw forbidden('INTERNAL flags belong to the backend: only a SUPERADMIN may write them');
}

/** Whether this role may see and cancel schedules that touch INTERNAL flags. */
export const mayManageInternal = (role: Role) => hasAtLeast(role, 'SUPERADMIN');

import { hasAtLeast, type Role } from '@voiceassist/auth';
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

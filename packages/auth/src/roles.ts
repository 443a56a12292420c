/** Lowest to highest. */
export const ROLES = ['VIEWER', 'USER', 'ADMIN', 'SUPERADMIN'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

export const roleRank = (role: Role): number => ROLES.indexOf(role);

export const hasAtLeast = (role: Role, minimum: Role): boolean => roleRank(role) >= roleRank(minimum);

/** The verified caller of a request, from the access token. */
export interface Viewer {
  userId: string;
  role: Role;
  sessionId: string;
  expiresAt: Date;
}

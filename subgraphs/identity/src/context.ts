import DataLoader from 'dataloader';
import type { Viewer } from '@voiceassist/auth';
import { unauthenticated } from '@voiceassist/errors';
import type { RequestContext } from '@voiceassist/subgraph-server';
import type { Accounts } from './accounts.js';
import type { AuditLog, AuditOrigin } from './audit-log.js';
import type { UserRow } from './db/schema.js';
import type { Erasures } from './erasures.js';
import type { UserAdmin } from './user-admin.js';
import type { Users } from './users.js';

export interface IdentityServices {
  accounts: Accounts;
  admin: UserAdmin;
  users: Users;
  audit: AuditLog;
  erasures: Erasures;
  /** Identity's part of a person's data export. */
  exportData(userId: string): Promise<Record<string, unknown>>;
}

export interface IdentityContext extends RequestContext {
  identity: IdentityServices;
  /** Per request, so entity lookups from the router batch into one query and never go stale. */
  userLoader: DataLoader<string, UserRow | null>;
  /** Users this request has just signed in (register, login, refresh): they may read their own payload. */
  signedInNow: Set<string>;
}

export function identityContext(identity: IdentityServices) {
  return (base: RequestContext): IdentityContext => ({
    ...base,
    identity,
    signedInNow: new Set(),
    userLoader: new DataLoader<string, UserRow | null>(async (ids) => {
      const rows = new Map((await identity.users.byIds(ids)).map((row) => [row.id, row]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
  });
}

/** Where an audited action comes from; the actor is the verified caller, never an argument. */
export const originOf = (ctx: IdentityContext): AuditOrigin => ({
  actorId: ctx.viewer?.userId ?? null,
  ip: ctx.ip,
  userAgent: ctx.userAgent,
  requestId: ctx.requestId,
});

/** Shield guards these fields already; this keeps the resolvers honest if a rule is ever loosened. */
export function viewerOf(ctx: IdentityContext): Viewer {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}

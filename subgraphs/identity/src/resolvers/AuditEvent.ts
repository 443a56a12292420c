import type { IdentityContext } from '../context.js';
import type { AuditEventRow } from '../db/schema.js';

export const AuditEvent = {
  /** Null once the actor's account has been deleted; actorId stays. */
  actor: (event: AuditEventRow, _: unknown, ctx: IdentityContext) => (event.actorId ? ctx.userLoader.load(event.actorId) : null),
};

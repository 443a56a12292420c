import type { AuditEventResolvers } from './resolvers-types.js';

export const AuditEvent = {
  /** Null once the actor's account has been deleted; actorId stays. */
  actor: (event, _, ctx) => (event.actorId ? ctx.userLoader.load(event.actorId) : null),
} satisfies AuditEventResolvers;

import type { IdentityContext } from '../context.js';

export const User = {
  /** Batched per request: the router resolving many owners costs one query. */
  __resolveReference: (reference: { id: string }, ctx: IdentityContext) => ctx.userLoader.load(reference.id),
};

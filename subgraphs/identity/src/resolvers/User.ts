import type { UserResolvers } from './resolvers-types.js';

export const User = {
  /** Batched per request: the router resolving many owners costs one query. */
  __resolveReference: (reference, ctx) => ctx.userLoader.load(reference.id),
} satisfies UserResolvers;

import type { FlagChangeResolvers } from './resolvers-types.js';

export const FlagChange = {
  actor: (change) => (change.actorId ? { __typename: 'User', id: change.actorId } : null),
} satisfies FlagChangeResolvers;

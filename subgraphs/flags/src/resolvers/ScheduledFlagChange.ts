import type { ScheduledFlagChangeResolvers } from './resolvers-types.js';

export const ScheduledFlagChange = {
  key: (row) => row.flagKey,
  input: (row) => row.changes,
  createdById: (row) => row.createdBy,
  createdBy: (row) => (row.createdBy ? { __typename: 'User', id: row.createdBy } : null),
} satisfies ScheduledFlagChangeResolvers;

import type { ScheduledChangeRow } from '../db/schema.js';

export const ScheduledFlagChange = {
  key: (row: ScheduledChangeRow) => row.flagKey,
  input: (row: ScheduledChangeRow) => row.changes,
  createdById: (row: ScheduledChangeRow) => row.createdBy,
  createdBy: (row: ScheduledChangeRow) => (row.createdBy ? { __typename: 'User', id: row.createdBy } : null),
};

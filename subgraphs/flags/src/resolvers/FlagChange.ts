import type { FlagChangeRecord } from '../store.js';

export const FlagChange = {
  actor: (change: FlagChangeRecord) => (change.actorId ? { __typename: 'User', id: change.actorId } : null),
};

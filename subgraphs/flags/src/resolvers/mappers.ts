// Parent types of this subgraph's resolvers: `<GraphQL type>Mapper` becomes that type's parent and
// result type in resolvers-types.ts (`pnpm codegen:resolvers`).
import type { ScheduledChangeRow } from '../db/schema.js';
import type { FlagChangeRecord } from '../store.js';

export type FlagChangeMapper = FlagChangeRecord;
export type ScheduledFlagChangeMapper = ScheduledChangeRow;

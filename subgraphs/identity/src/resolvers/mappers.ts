// Parent types of this subgraph's resolvers: `<GraphQL type>Mapper` becomes that type's parent and
// result type in resolvers-types.ts (`pnpm codegen:resolvers`).
import type { AuditVerification } from '../audit-log.js';
import type { AuditEventRow, UserRow } from '../db/schema.js';

export interface ErasureStatusParent {
  userId: string;
  requestedAt: Date;
  completedAt: Date | null;
  identity: { state: 'PENDING' | 'DONE'; at: Date | null };
}
export interface DataExportParent {
  userId: string;
  exportedAt: Date;
}

export type UserMapper = UserRow;
export type AuditEventMapper = AuditEventRow;
export type ErasureStatusMapper = ErasureStatusParent;
export type DataExportMapper = DataExportParent;
/** firstBrokenId is the entry's numeric id; ID serializes it as a string. */
export type AuditVerificationMapper = AuditVerification;

import { allow, hasRole, rule, selfOrAdmin, type AuthContext, type IRuleTypeMap } from '@voiceassist/auth';

/** What a subgraph tells the federated `ErasureStatus` and `DataExport` entities about one person. */
export interface ErasureEntitySource {
  /** From the subgraph's `erased_users` table. */
  progress(userId: string): Promise<{ state: 'PENDING' | 'DONE'; at: Date | null }>;
  /** Everything the subgraph holds about the person, as plain JSON. */
  exportData(userId: string): Promise<unknown>;
}

interface PersonReference {
  userId: string;
}

/**
 * Resolvers of the subgraph's field on identity's `ErasureStatus` and `DataExport` entities, both
 * named after the subgraph (contract of issue 25). The shield rules below guard them; the export
 * checks its subject again, since it is everything the subgraph holds about someone.
 */
export function erasureEntityResolvers<TContext extends AuthContext>(subgraph: string, sourceOf: (ctx: TContext) => ErasureEntitySource) {
  return {
    ErasureStatus: {
      // Generic: the reference goes back as the router sent it (with __typename), as generated resolver types expect.
      __resolveReference: <Reference extends PersonReference>(reference: Reference) => reference,
      [subgraph]: (reference: PersonReference, _args: unknown, ctx: TContext) => sourceOf(ctx).progress(reference.userId),
    },
    DataExport: {
      __resolveReference: <Reference extends PersonReference>(reference: Reference) => reference,
      [subgraph]: (reference: PersonReference, _args: unknown, ctx: TContext) => {
        const allowed = selfOrAdmin(ctx.viewer, reference.userId);
        if (allowed !== true) throw allowed;
        return sourceOf(ctx).exportData(reference.userId);
      },
    },
  };
}

const isExportSubjectOrAdmin = rule('isExportSubjectOrAdmin', { cache: 'strict' })((parent: PersonReference, _args, ctx: AuthContext) => selfOrAdmin(ctx.viewer, parent.userId));

/** Erasure status is for ADMIN+; an export for the person it is about, or ADMIN+. */
export const erasureEntityPermissions: IRuleTypeMap = {
  ErasureStatus: hasRole('ADMIN'),
  ErasureProgress: allow,
  DataExport: isExportSubjectOrAdmin,
};

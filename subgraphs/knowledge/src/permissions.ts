import { allow, hasRole, type IRuleTypeMap } from '@voiceassist/auth';
import { erasureEntityPermissions } from '@voiceassist/subgraph-server/erasure-entities';

// Federation's own fields are added by createPermissions; everything not listed here is denied.
// Type-level rules apply inside `_entities` too, so other subgraphs get no more than a direct caller.
export const permissions: IRuleTypeMap = {
  Query: {
    documents: hasRole('USER'),
    document: hasRole('USER'),
    search: hasRole('USER'),
  },
  Mutation: {
    ingestDocument: hasRole('ADMIN'),
    deleteDocument: hasRole('ADMIN'),
    reindexDocument: hasRole('ADMIN'),
  },
  Subscription: {
    documentStatus: hasRole('USER'),
  },
  Document: hasRole('USER'),
  Citation: hasRole('USER'),
  // Reachable only through the fields above, which carry the checks.
  SearchHit: allow,
  DocumentConnection: allow,
  DocumentEdge: allow,
  PageInfo: allow,
  ...erasureEntityPermissions,
};

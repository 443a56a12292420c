// Parent types of this subgraph's resolvers: `<GraphQL type>Mapper` becomes that type's parent and
// result type in resolvers-types.ts (`pnpm codegen:resolvers`).
import type { DocumentInfo } from '../db/schema.js';
import type { CitationParent } from './Citation.js';

export type DocumentMapper = DocumentInfo;
export type CitationMapper = CitationParent;

// Parent types of this subgraph's resolvers: `<GraphQL type>Mapper` becomes that type's parent and
// result type in resolvers-types.ts (`pnpm codegen:resolvers`).
import type { ChunkInfo } from '../db/schema.js';
import type { DocumentInfo } from '../db/schema.js';

export type CitationParent = ChunkInfo & { snippet?: string; score?: number };

export type DocumentMapper = DocumentInfo;
export type CitationMapper = CitationParent;

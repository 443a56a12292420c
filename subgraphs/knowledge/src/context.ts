import DataLoader from 'dataloader';
import { hasAtLeast, type Role, type Viewer } from '@voiceassist/auth';
import { forbidden, unauthenticated } from '@voiceassist/errors';
import type { RequestContext } from '@voiceassist/subgraph-server';
import type { ErasureEntitySource } from '@voiceassist/subgraph-server/erasure-entities';
import type { ChunkInfo, DocumentInfo } from './db/schema.js';
import type { DocumentStore } from './documents.js';
import type { DocumentEvents } from './events.js';
import type { Ingestion } from './ingestion.js';
import type { Search } from './search.js';

export interface KnowledgeServices {
  store: DocumentStore;
  ingestion: Ingestion;
  search: Search;
  events: DocumentEvents;
  /** The embedding model and size of new vectors; documents embedded otherwise need a reindex. */
  embedding: { model: string; dimension: number };
  /** This subgraph's part of a person's erasure status and data export. */
  erasure: ErasureEntitySource;
}

export interface KnowledgeContext extends RequestContext {
  knowledge: KnowledgeServices;
  /** Per request, so the router's entity lookups batch into one query and never go stale. */
  documentLoader: DataLoader<string, DocumentInfo | null>;
  chunkLoader: DataLoader<string, ChunkInfo | null>;
}

function byId<T extends { id: string }>(load: (ids: readonly string[]) => Promise<T[]>) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = new Map((await load(ids)).map((row) => [row.id, row]));
    return ids.map((id) => rows.get(id) ?? null);
  });
}

export function knowledgeContext(knowledge: KnowledgeServices) {
  return (base: RequestContext): KnowledgeContext => ({
    ...base,
    knowledge,
    documentLoader: byId((ids) => knowledge.store.byIds(ids)),
    chunkLoader: byId((ids) => knowledge.store.chunksByIds(ids)),
  });
}

/** Shield guards the fields already; resolvers (and subscriptions, whose rules run per event) check again. */
export function requireRole(ctx: Pick<KnowledgeContext, 'viewer'>, minimum: Role): Viewer {
  if (!ctx.viewer) throw unauthenticated();
  if (!hasAtLeast(ctx.viewer.role, minimum)) throw forbidden();
  return ctx.viewer;
}

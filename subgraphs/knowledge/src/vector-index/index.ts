import type { DatabaseHandle } from '@voiceassist/database';
import type { Logger } from '@voiceassist/logging';
import { createExactVectorIndex } from './exact.js';
import { createPgvectorIndex } from './pgvector.js';
import { createQdrantIndex } from './qdrant.js';
import type { VectorIndex, VectorIndexKind } from './types.js';

export type { ChunkVector, Transaction, VectorHit, VectorIndex, VectorIndexKind } from './types.js';
export { bumpIndexVersion } from './exact.js';
export { decodeVector, encodeVector } from './encoding.js';

export interface VectorIndexOptions {
  /** `auto`: Qdrant when a URL is given, else pgvector when installed, else the exact scan. */
  choice: 'auto' | VectorIndexKind;
  database: DatabaseHandle;
  model: string;
  dimension: number;
  logger: Logger;
  qdrant?: { url?: string | undefined; apiKey?: string | undefined; collectionPrefix: string };
  /** pgvector's hnsw.ef_search. */
  efSearch?: number;
}

export function vectorIndexKind(options: Pick<VectorIndexOptions, 'choice' | 'database' | 'qdrant'>): VectorIndexKind {
  if (options.choice !== 'auto') return options.choice;
  if (options.qdrant?.url) return 'qdrant';
  return options.database.hasVector ? 'pgvector' : 'exact';
}

export async function createVectorIndex(options: VectorIndexOptions): Promise<VectorIndex> {
  const { database, model, dimension, logger } = options;
  const kind = vectorIndexKind(options);
  switch (kind) {
    case 'qdrant':
      if (!options.qdrant?.url) throw new Error('KNOWLEDGE_VECTOR_INDEX=qdrant needs QDRANT_URL');
      return createQdrantIndex({ url: options.qdrant.url, apiKey: options.qdrant.apiKey, collectionPrefix: options.qdrant.collectionPrefix, model, dimension, db: database.db, logger });
    case 'pgvector':
      if (!database.hasVector) throw new Error('KNOWLEDGE_VECTOR_INDEX=pgvector needs the pgvector extension in the database');
      return createPgvectorIndex({ database, model, dimension, logger, ...(options.efSearch ? { efSearch: options.efSearch } : {}) });
    case 'exact': {
      const index = createExactVectorIndex({ db: database.db, model, dimension });
      // Load the vectors now rather than on the first search (about 30 s at 100,000 passages);
      // a failure here is retried by that search.
      void index.sync().catch((error: unknown) => logger.warn({ err: error }, 'exact vector index could not load yet'));
      return index;
    }
  }
}

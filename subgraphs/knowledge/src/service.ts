import { createEmbeddingProvider, traceEmbeddingProvider, type EmbeddingProvider } from '@voiceassist/ai';
import { erasureLedger } from '@voiceassist/database/erased-users';
import { createSubgraphServer, defineSubgraphService, subgraphModule, type CreateServiceOptions } from '@voiceassist/subgraph-server';
import { withSubgraphResources, type ErasingSubgraphService } from '@voiceassist/subgraph-server/resources';
import { knowledgeContext, type KnowledgeContext } from './context.js';
import { knowledgeDatabase } from './db/database.js';
import { erasedUsers } from './db/schema.js';
import { createDocumentStore } from './documents.js';
import { knowledgeEnvSchema, type KnowledgeEnv } from './env.js';
import { createKnowledgeErasure } from './erasure.js';
import { createDocumentEvents } from './events.js';
import { createIngestion, type Ingestion } from './ingestion.js';
import { permissions } from './permissions.js';
import { resolvers } from './resolvers/index.js';
import { createSearch, type CitationResult, type Search } from './search.js';
import {
  cachingEmbedder,
  createCacheMetrics,
  createSearchCache,
  createTieredCache,
  decodeResults,
  decodeVector,
  degradationProbedIndex,
  encodeVector,
  invalidatingDocumentEvents,
} from './search-cache.js';
import { createVectorIndex, type VectorIndex } from './vector-index/index.js';

export { knowledgeEnvSchema, type KnowledgeEnv } from './env.js';
export type { KnowledgeContext } from './context.js';
export { HIGHLIGHT_END, HIGHLIGHT_START, type CitationResult, type SearchMode } from './search.js';

export const knowledgeSubgraph = subgraphModule<KnowledgeContext>('knowledge', new URL('./schema.graphql', import.meta.url), { resolvers, permissions });

export interface KnowledgeService extends ErasingSubgraphService {
  embedder: EmbeddingProvider;
  vectorIndex: VectorIndex;
  ingestion: Ingestion;
  search: Search;
  /** Stops the server, the indexing jobs, and releases the database and pub/sub. */
  close(): Promise<void>;
}

export interface KnowledgeServiceOptions extends CreateServiceOptions<KnowledgeEnv> {
  /** Replaces the provider the env selects (benchmarks). */
  embedder?: EmbeddingProvider;
}

/** Opens the database (migrating it) and the vector index, resumes unfinished indexing, and builds the server; call listen() on it. */
export async function createKnowledgeService({ env, logger, infra, embedder: givenEmbedder }: KnowledgeServiceOptions): Promise<KnowledgeService> {
  if (env.KNOWLEDGE_CHUNK_OVERLAP_CHARS >= env.KNOWLEDGE_CHUNK_CHARS) {
    throw new Error('KNOWLEDGE_CHUNK_OVERLAP_CHARS must be smaller than KNOWLEDGE_CHUNK_CHARS');
  }
  const embedder = traceEmbeddingProvider(givenEmbedder ?? createEmbeddingProvider(env));
  // Redis holds cached search results and query embeddings shared by every instance (memory only without it).
  return withSubgraphResources({ name: 'knowledge', env, logger, infra, database: knowledgeDatabase }, async ({ database, pubsub, redis, onRelease, onReleaseTogether, serverOptions, startErasures }) => {
    const vectorIndex = await createVectorIndex({
      choice: env.KNOWLEDGE_VECTOR_INDEX,
      database,
      model: embedder.model,
      dimension: embedder.dimension,
      logger,
      efSearch: env.KNOWLEDGE_HNSW_EF_SEARCH,
      // Test supergraphs sharing one Qdrant each get their own collections.
      qdrant: { url: env.QDRANT_URL, apiKey: env.QDRANT_API_KEY, collectionPrefix: infra.namespace ? `${env.QDRANT_COLLECTION}_${infra.namespace}` : env.QDRANT_COLLECTION },
    });
    onReleaseTogether(() => vectorIndex.close());
    const { db } = database;
    const cacheMetrics = createCacheMetrics();
    const queryEmbedder = cachingEmbedder(
      embedder,
      createTieredCache({ name: 'embedding', maxBytes: env.KNOWLEDGE_EMBEDDING_CACHE_MAX_BYTES, ttlSeconds: env.KNOWLEDGE_EMBEDDING_CACHE_TTL_SECONDS, redis, metrics: cacheMetrics, encode: encodeVector, decode: decodeVector }),
    );
    const searchCache = createSearchCache({
      search: createSearch({ db, embedder: queryEmbedder, vectorIndex: degradationProbedIndex(vectorIndex), logger }),
      db,
      cache: createTieredCache<CitationResult[]>({ name: 'search', maxBytes: env.KNOWLEDGE_SEARCH_CACHE_MAX_BYTES, ttlSeconds: env.KNOWLEDGE_SEARCH_CACHE_TTL_SECONDS, redis, metrics: cacheMetrics, encode: (results) => JSON.stringify(results), decode: decodeResults }),
      pubsub,
      metrics: cacheMetrics,
      embedding: { model: embedder.model, dimension: embedder.dimension },
      logger,
    });
    const { invalidate } = searchCache;
    const events = invalidatingDocumentEvents(createDocumentEvents(pubsub), invalidate);
    const ingestion = createIngestion({
      db,
      embedder,
      vectorIndex,
      events,
      logger,
      maxBytes: env.KNOWLEDGE_MAX_DOCUMENT_BYTES,
      chunking: { targetChars: env.KNOWLEDGE_CHUNK_CHARS, overlapChars: env.KNOWLEDGE_CHUNK_OVERLAP_CHARS },
      concurrency: env.KNOWLEDGE_INGEST_CONCURRENCY,
    });
    // Jobs stop before the cache they invalidate, both before the shared clients and the database.
    onRelease(() => ingestion.close());
    onRelease(() => searchCache.close());
    const { search } = searchCache;
    const erasure = createKnowledgeErasure(db);
    const ledger = erasureLedger(db, erasedUsers);
    logger.info({ vectorIndex: vectorIndex.kind, embeddingModel: embedder.model, dimension: embedder.dimension }, 'knowledge index ready');
    const server = createSubgraphServer<KnowledgeContext>({
      module: knowledgeSubgraph,
      context: knowledgeContext({
        store: createDocumentStore(db),
        ingestion,
        search,
        events,
        embedding: { model: embedder.model, dimension: embedder.dimension },
        erasure: { progress: ledger.progress, exportData: erasure.exportData },
      }),
      // Without Redis, document status events reach this instance's subscribers only.
      ...serverOptions(),
      // A document travels as base64 (4/3 of its size) inside the JSON body.
      bodyLimitBytes: Math.ceil((env.KNOWLEDGE_MAX_DOCUMENT_BYTES * 4) / 3) + 64 * 1024,
    });
    server.metrics.registry.registerMetric(cacheMetrics.lookups);
    server.metrics.registry.registerMetric(cacheMetrics.invalidations);
    // Erasure changes no passage, but every write to documents invalidates: one rule, no exceptions to keep in mind.
    const erase = async (userId: string) => {
      await erasure.erase(userId);
      await invalidate();
    };
    const erasures = startErasures(ledger, erase);
    ingestion.start();
    return { server, database, embedder, vectorIndex, ingestion, search, erasures, close: () => server.close() };
  });
}

/** How `pnpm start`, the test kit and the deployment checks start knowledge. */
export const knowledgeService = defineSubgraphService({
  module: knowledgeSubgraph,
  envSchema: knowledgeEnvSchema,
  portVariable: 'KNOWLEDGE_PORT',
  create: ({ env, logger, infra }) => createKnowledgeService({ env, logger, infra }),
});

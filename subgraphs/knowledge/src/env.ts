import { aiEnvShape, embeddingsEnvShape } from '@voiceassist/ai';
import { commonEnvShape, envVar, z } from '@voiceassist/env';

export const knowledgeEnvSchema = z.object({
  ...commonEnvShape,
  ...aiEnvShape,
  ...embeddingsEnvShape,
  KNOWLEDGE_PORT: envVar.port(4003),
  /** Qdrant's REST URL (e.g. http://qdrant:6333); when set, vectors live there. */
  QDRANT_URL: envVar.url(),
  QDRANT_API_KEY: envVar.optionalString(),
  /** Prefix of the Qdrant collection; the model and vector size complete its name. */
  QDRANT_COLLECTION: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/).default('knowledge'),
  /**
   * Where vectors are searched: `auto` picks Qdrant when QDRANT_URL is set, else pgvector (HNSW)
   * when the database has the extension (PGlite always does), else an exact in-process scan.
   */
  KNOWLEDGE_VECTOR_INDEX: z.enum(['auto', 'qdrant', 'pgvector', 'exact']).default('auto'),
  /** pgvector HNSW candidates per query (hnsw.ef_search): higher finds more of the true nearest passages, slower. */
  KNOWLEDGE_HNSW_EF_SEARCH: z.coerce.number().int().min(10).max(1000).default(200),
  /** Largest document accepted, in bytes after base64 decoding (20 MB). */
  KNOWLEDGE_MAX_DOCUMENT_BYTES: envVar.positiveInt(20 * 1024 * 1024),
  /** Target chunk length in characters; chunks end at paragraph or sentence boundaries. */
  KNOWLEDGE_CHUNK_CHARS: z.coerce.number().int().min(200).max(20_000).default(1200),
  /** Characters of the previous chunk (whole sentences) repeated at the start of the next, within a section. */
  KNOWLEDGE_CHUNK_OVERLAP_CHARS: z.coerce.number().int().min(0).max(5_000).default(200),
  /** Documents indexed at once by one instance. */
  KNOWLEDGE_INGEST_CONCURRENCY: envVar.positiveInt(2),
  /** Bytes of search results kept in memory per instance (LRU); 0 turns search result caching off (Redis tier too). */
  KNOWLEDGE_SEARCH_CACHE_MAX_BYTES: z.coerce.number().int().min(0).default(33_554_432),
  /** How long cached search results live, in memory and in Redis; a document change invalidates them sooner. */
  KNOWLEDGE_SEARCH_CACHE_TTL_SECONDS: envVar.positiveInt(600),
  /** Bytes of query embeddings kept in memory per instance (LRU); 0 turns embedding caching off (Redis tier too). */
  KNOWLEDGE_EMBEDDING_CACHE_MAX_BYTES: z.coerce.number().int().min(0).default(16_777_216),
  /** How long cached query embeddings live, in memory and in Redis (they depend only on the model and the text). */
  KNOWLEDGE_EMBEDDING_CACHE_TTL_SECONDS: envVar.positiveInt(86_400),
});

export type KnowledgeEnv = z.infer<typeof knowledgeEnvSchema>;

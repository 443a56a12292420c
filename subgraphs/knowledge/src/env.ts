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
});

export type KnowledgeEnv = z.infer<typeof knowledgeEnvSchema>;

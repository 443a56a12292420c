import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { EmbeddingProvider } from '@voiceassist/ai';
import type { Database } from '@voiceassist/database';
import type { Logger } from '@voiceassist/logging';
import { Counter } from '@voiceassist/metrics';
import type { PubSub } from '@voiceassist/pubsub';
import type { Redis } from '@voiceassist/redis';
import { rowsOf } from './db/rows.js';
import type { DocumentEvents } from './events.js';
import { MAX_QUERY_LENGTH, MAX_SEARCH_LIMIT, type CitationResult, type Search, type SearchMode } from './search.js';
import type { VectorIndex } from './vector-index/index.js';

export type CacheName = 'search' | 'embedding';
export type CacheLookup = 'memory_hit' | 'redis_hit' | 'miss';

/** Every instance clears its in-memory search results when a document's passages change. */
export const SEARCH_CACHE_TOPIC = 'knowledge:search-cache:invalidate';

/** Counters are made unregistered: the service's registry exists only once its server does. */
export function createCacheMetrics() {
  return {
    lookups: new Counter({
      name: 'knowledge_cache_lookups_total',
      help: 'Knowledge search and query embedding cache lookups, by cache and result (memory_hit, redis_hit, miss)',
      labelNames: ['cache', 'result'] as const,
      registers: [],
    }),
    invalidations: new Counter({
      name: 'knowledge_cache_invalidations_total',
      help: 'Search result invalidations received (a document was indexed, deleted or erased on some instance)',
      registers: [],
    }),
  };
}

export type CacheMetrics = ReturnType<typeof createCacheMetrics>;

interface TieredCacheOptions<T> {
  name: CacheName;
  /** Bytes of values kept in this process (LRU); 0 turns the cache off, Redis tier included. */
  maxBytes: number;
  ttlSeconds: number;
  redis?: Redis | undefined;
  metrics: CacheMetrics;
  encode(value: T): string;
  decode(stored: string): T | undefined;
}

interface MemoryEntry<T> {
  value: T;
  bytes: number;
  expiresAt: number;
}

/**
 * A bounded LRU in this process in front of Redis (shared by every instance, with a TTL). Redis
 * is a cache here: when it is away, lookups miss it at once and writes are dropped.
 */
export function createTieredCache<T>(options: TieredCacheOptions<T>) {
  const { name, maxBytes, ttlSeconds, redis, metrics } = options;
  const entries = new Map<string, MemoryEntry<T>>();
  let bytes = 0;
  const redisKey = (key: string) => `knowledge:cache:${name}:${key}`;

  const drop = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.bytes;
  };

  const remember = (key: string, value: T, encoded: string) => {
    // UTF-16 in memory: about two bytes a character of the encoded form.
    const size = encoded.length * 2;
    drop(key);
    // One entry may take at most a quarter of the budget, so a few huge results cannot flush the rest.
    if (size > maxBytes / 4) return;
    entries.set(key, { value, bytes: size, expiresAt: Date.now() + ttlSeconds * 1000 });
    bytes += size;
    for (const oldest of entries.keys()) {
      if (bytes <= maxBytes) break;
      drop(oldest);
    }
  };

  const count = (result: CacheLookup) => metrics.lookups.inc({ cache: name, result });

  return {
    enabled: maxBytes > 0,

    async get(key: string): Promise<T | undefined> {
      if (maxBytes === 0) return undefined;
      const hit = entries.get(key);
      if (hit && hit.expiresAt > Date.now()) {
        // Most recently used goes last; eviction takes the first.
        entries.delete(key);
        entries.set(key, hit);
        count('memory_hit');
        return hit.value;
      }
      if (hit) drop(key);
      const stored = redis ? await redis.get(redisKey(key)).catch(() => null) : null;
      const decoded = stored === null ? undefined : options.decode(stored);
      if (decoded === undefined) {
        count('miss');
        return undefined;
      }
      remember(key, decoded, stored!);
      count('redis_hit');
      return decoded;
    },

    set(key: string, value: T): void {
      if (maxBytes === 0) return;
      const encoded = options.encode(value);
      remember(key, value, encoded);
      // Not awaited: the answer is ready; a failed write costs a later miss, not this request.
      void redis?.set(redisKey(key), encoded, 'EX', ttlSeconds).catch(() => {});
    },

    /** Empties this process's tier; Redis entries are left to their TTL (keys name what they depend on). */
    clear(): void {
      entries.clear();
      bytes = 0;
    },

    stats: () => ({ entries: entries.size, bytes }),
  };
}

export type TieredCache<T> = ReturnType<typeof createTieredCache<T>>;

const digest = (parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('base64url');

/**
 * Marks a search whose semantic half failed (embedding provider or vector index down): HYBRID
 * then answers from keywords alone, which must not be cached as the answer once they are back.
 */
const degradedSearch = new AsyncLocalStorage<{ degraded: boolean }>();

function markDegraded() {
  const probe = degradedSearch.getStore();
  if (probe) probe.degraded = true;
}

/** The vector index as search sees it: failures mark the running search degraded. */
export function degradationProbedIndex(index: VectorIndex): VectorIndex {
  return {
    kind: index.kind,
    stage: (vectors) => index.stage(vectors),
    write: (tx, vectors) => index.write(tx, vectors),
    remove: (ids) => index.remove(ids),
    removeDocument: (id) => index.removeDocument(id),
    search: (vector, limit) =>
      index.search(vector, limit).catch((error: unknown) => {
        markDegraded();
        throw error;
      }),
    close: () => index.close(),
  };
}

/**
 * Query embeddings by model and text: a question asked again is not embedded again, whatever
 * the documents did meanwhile (an embedding depends on nothing else). Failures mark the running
 * search degraded.
 */
export function cachingEmbedder(embedder: EmbeddingProvider, cache: TieredCache<Float32Array>): EmbeddingProvider {
  const keyOf = (text: string) => digest([embedder.model, embedder.dimension, text]);
  return {
    get model() {
      return embedder.model;
    },
    get dimension() {
      return embedder.dimension;
    },
    async embed(texts) {
      const vectors: Array<number[] | undefined> = await Promise.all(texts.map(async (text) => {
        const cached = await cache.get(keyOf(text));
        return cached && Array.from(cached);
      }));
      const missing = texts.flatMap((text, i) => (vectors[i] ? [] : [{ text, i }]));
      if (missing.length === 0) return vectors as number[][];
      let embedded: number[][];
      try {
        embedded = await embedder.embed(missing.map(({ text }) => text));
      } catch (error) {
        markDegraded();
        throw error;
      }
      missing.forEach(({ text, i }, n) => {
        const vector = embedded[n]!;
        vectors[i] = vector;
        if (vector.length === embedder.dimension) cache.set(keyOf(text), Float32Array.from(vector));
      });
      return vectors as number[][];
    },
  };
}

export const encodeVector = (vector: Float32Array) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');

export function decodeVector(stored: string): Float32Array | undefined {
  const bytes = Buffer.from(stored, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  // A copy: the decoded Buffer may share a pooled ArrayBuffer at an unaligned offset.
  return new Float32Array(new Uint8Array(bytes).buffer);
}

export function decodeResults(stored: string): CitationResult[] | undefined {
  try {
    const parsed = JSON.parse(stored) as unknown;
    return Array.isArray(parsed) ? (parsed as CitationResult[]) : undefined;
  } catch {
    return undefined;
  }
}

export interface SearchCacheOptions {
  search: Search;
  db: Database;
  cache: TieredCache<CitationResult[]>;
  pubsub: PubSub;
  metrics: CacheMetrics;
  /** The embedding model searched with: instances with another model never share results. */
  embedding: { model: string; dimension: number };
  logger: Logger;
}

/**
 * Search results by question, mode, limit and embedding model, and by the index version: the
 * counter every commit of passages (indexing, reindexing, deletion) bumps in the same
 * transaction. Each lookup reads it (one row), so no instance ever serves results from before a
 * change it can see in the database, with or without Redis and whatever pub/sub lost; the
 * invalidation published on each change frees every instance's memory of the old results at
 * once. The knowledge base is shared by every USER+ (no per-user or per-organisation documents),
 * and roles are checked before a search runs, so results depend on no one's identity; a scope
 * of documents per viewer would have to join the key.
 */
export function createSearchCache(options: SearchCacheOptions) {
  const { search, db, cache, pubsub, metrics, embedding, logger } = options;
  const invalidations = pubsub.subscribe<Record<string, never>>(SEARCH_CACHE_TOPIC);
  void (async () => {
    for await (const _ of invalidations) {
      metrics.invalidations.inc();
      cache.clear();
    }
  })();

  const indexVersion = async () => {
    const [row] = rowsOf<{ version: number }>(await db.execute(sql`select version::float8 as version from knowledge.index_state where id = 1`));
    return Number(row?.version ?? 0);
  };

  async function cachedSearch(args: { query: string; limit?: number | null; mode?: SearchMode | null }): Promise<CitationResult[]> {
    const query = args.query.trim();
    const limit = args.limit ?? 5;
    const mode = args.mode ?? 'HYBRID';
    // Invalid input goes straight to search, which names the field at fault.
    const valid = query.length > 0 && query.length <= MAX_QUERY_LENGTH && Number.isInteger(limit) && limit >= 1 && limit <= MAX_SEARCH_LIMIT;
    if (!cache.enabled || !valid) return search.search(args);
    const key = `${await indexVersion()}:${digest([embedding.model, embedding.dimension, mode, limit, query])}`;
    const cached = await cache.get(key);
    // A copy of the list: callers may reorder or trim what they get.
    if (cached) return [...cached];
    const probe = { degraded: false };
    const results = await degradedSearch.run(probe, () => search.search(args));
    if (probe.degraded) logger.info({ mode }, 'degraded search results not cached');
    else cache.set(key, results);
    return results;
  }

  return {
    search: { ...search, search: cachedSearch } satisfies Search,

    /** After passages changed (committed): tells every instance, this one included. Never throws. */
    async invalidate(): Promise<void> {
      cache.clear();
      await pubsub.publish(SEARCH_CACHE_TOPIC, {}).catch((error: unknown) => logger.warn({ err: error }, 'search cache invalidation not published'));
    },

    close: async () => {
      await invalidations.return?.();
    },
  };
}

export type SearchCache = ReturnType<typeof createSearchCache>;

/**
 * Document events that also invalidate cached search results when passages change: a document
 * READY (indexed or reindexed: its passages were replaced) or deleted. Progress events change
 * nothing searchable.
 */
export function invalidatingDocumentEvents(events: DocumentEvents, invalidate: () => Promise<void>): DocumentEvents {
  return {
    ...events,
    changed: async (document) => {
      if (document.status === 'READY') await invalidate();
      await events.changed(document);
    },
    deleted: async (id) => {
      await invalidate();
      await events.deleted(id);
    },
  };
}

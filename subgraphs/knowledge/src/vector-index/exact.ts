import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { chunks, documents, indexState } from '../db/schema.js';
import { decodeVector, TopK } from './encoding.js';
import type { VectorIndex } from './types.js';

interface DocumentVectors {
  generation: number;
  chunkIds: string[];
  /** chunkIds.length × dimension floats, one row per chunk. */
  vectors: Float32Array;
}

/** Documents whose chunks are loaded per query: enough to keep one statement's parameters small. */
const LOAD_BATCH = 200;

/**
 * Exact nearest neighbours by scanning every vector in process memory: where neither pgvector
 * nor Qdrant is available. The vectors of the current model are loaded from Postgres and kept;
 * a version counter bumped by every chunk commit tells this instance (and every replica) when to
 * reload, and then only the documents whose generation changed are read again.
 */
export function createExactVectorIndex(options: { db: Database; model: string; dimension: number }): VectorIndex & { sync(): Promise<void>; size(): number } {
  const { db, model, dimension } = options;
  const loaded = new Map<string, DocumentVectors>();
  let version: number | undefined;
  let syncing: Promise<void> | undefined;

  async function load(documentIds: string[], into: Map<string, DocumentVectors>, generations: Map<string, number>) {
    for (let start = 0; start < documentIds.length; start += LOAD_BATCH) {
      const ids = documentIds.slice(start, start + LOAD_BATCH);
      const rows = await db
        .select({ id: chunks.id, documentId: chunks.documentId, embedding: chunks.embedding })
        .from(chunks)
        .where(and(inArray(chunks.documentId, ids), eq(chunks.embeddingModel, model), eq(chunks.embeddingDimension, dimension)))
        .orderBy(chunks.documentId, chunks.ordinal);
      const byDocument = new Map<string, typeof rows>();
      for (const row of rows) {
        let list = byDocument.get(row.documentId);
        if (!list) byDocument.set(row.documentId, (list = []));
        list.push(row);
      }
      for (const id of ids) {
        const list = byDocument.get(id) ?? [];
        const vectors = new Float32Array(list.length * dimension);
        list.forEach((row, i) => decodeVector(row.embedding, vectors, i * dimension));
        into.set(id, { generation: generations.get(id)!, chunkIds: list.map((row) => row.id), vectors });
      }
    }
  }

  async function refresh() {
    const [state] = await db.select({ version: indexState.version }).from(indexState).where(eq(indexState.id, 1));
    const current = state?.version ?? 0;
    if (current === version) return;
    const rows = await db
      .select({ id: documents.id, generation: documents.generation })
      .from(documents)
      .where(and(eq(documents.embeddingModel, model), eq(documents.embeddingDimension, dimension), gt(documents.chunkCount, 0)));
    const generations = new Map(rows.map((row) => [row.id, row.generation]));
    for (const id of loaded.keys()) if (!generations.has(id)) loaded.delete(id);
    const changed = rows.filter((row) => loaded.get(row.id)?.generation !== row.generation).map((row) => row.id);
    await load(changed, loaded, generations);
    // Read before the documents: a commit in between is picked up by the next search.
    version = current;
  }

  /** One refresh at a time; concurrent searches share it. */
  function sync(): Promise<void> {
    syncing ??= refresh().finally(() => {
      syncing = undefined;
    });
    return syncing;
  }

  return {
    kind: 'exact',
    sync,
    size: () => [...loaded.values()].reduce((n, d) => n + d.chunkIds.length, 0),
    async stage() {},
    async write() {},
    async remove() {},
    async removeDocument() {},
    async search(query, limit) {
      await sync();
      const top = new TopK(limit);
      const whole = dimension - (dimension % 4);
      for (const { chunkIds, vectors } of loaded.values()) {
        for (let row = 0; row < chunkIds.length; row++) {
          const offset = row * dimension;
          // Four running sums: independent additions the JIT can overlap.
          let a = 0;
          let b = 0;
          let c = 0;
          let d = 0;
          for (let j = 0; j < whole; j += 4) {
            a += query[j]! * vectors[offset + j]!;
            b += query[j + 1]! * vectors[offset + j + 1]!;
            c += query[j + 2]! * vectors[offset + j + 2]!;
            d += query[j + 3]! * vectors[offset + j + 3]!;
          }
          for (let j = whole; j < dimension; j++) a += query[j]! * vectors[offset + j]!;
          const dot = a + b + c + d;
          if (dot > top.threshold) top.offer(chunkIds[row]!, dot);
        }
      }
      return top.hits();
    },
    async close() {
      loaded.clear();
    },
  };
}

/** Bumps the version the exact index (on every replica) compares against; call inside the chunks' transaction. */
export const bumpIndexVersion = sql`update knowledge.index_state set version = version + 1 where id = 1`;

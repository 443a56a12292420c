import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { chunks, documents, indexState } from '../db/schema.js';
import { TopK } from './encoding.js';
import type { VectorIndex } from './types.js';

/** Documents whose chunks are loaded per query: enough to keep one statement's parameters small. */
const LOAD_BATCH = 200;
/**
 * Rows per slab. Long columns stream well and keep the per-slab overhead small (at 100,000
 * vectors, slabs of 500 rows scanned 1.6 times slower than 4,096); the slab's running sums
 * (8 bytes a row, 32 KB) still fit in a core's L1 cache.
 */
export const EXACT_SLAB_ROWS = 4096;
/** A slab's first allocation; it doubles up to the full size, so a small collection stays small. */
const FIRST_SLAB_ROWS = 8;

/**
 * Vectors stored column by column: dimension k of row r at k × capacity + r. A query's scores
 * for the slab's rows are then a sum of whole columns, one per nonzero query dimension: a sparse
 * query (a hashed n-gram query of a few words sets 50 to 100 of 768 dimensions) reads only its
 * columns, and a dense one (OpenAI's) streams the whole slab, both as long sequential loops.
 */
interface Slab {
  capacity: number;
  /** Rows in use or freed: the scan covers 0..used. */
  used: number;
  vectors: Float32Array;
  /** Undefined for a freed row, which the scan skips. */
  chunkIds: Array<string | undefined>;
}

interface DocumentSlots {
  generation: number;
  /** slab × EXACT_SLAB_ROWS + row, one per chunk. */
  slots: number[];
}

/**
 * Exact nearest neighbours by scanning every vector in process memory: where neither pgvector
 * nor Qdrant is available. The vectors of the current model are loaded from Postgres and kept;
 * a version counter bumped by every chunk commit tells this instance (and every replica) when to
 * reload, and then only the documents whose generation changed are read again.
 */
export function createExactVectorIndex(options: { db: Database; model: string; dimension: number; slabRows?: number }): VectorIndex & {
  sync(): Promise<void>;
  size(): number;
} {
  const { db, model, dimension, slabRows = EXACT_SLAB_ROWS } = options;
  const loaded = new Map<string, DocumentSlots>();
  const slabs: Slab[] = [];
  /** Rows freed by removed or replaced documents, filled again before any slab grows. */
  const free: number[] = [];
  let live = 0;
  let scratch = new Float64Array(0);
  let version: number | undefined;
  let syncing: Promise<void> | undefined;
  let nextSync: Promise<void> | undefined;

  function newSlab(capacity: number): Slab {
    return { capacity, used: 0, vectors: new Float32Array(capacity * dimension), chunkIds: [] };
  }

  /** A free row: a freed one, else the next of the last slab (grown or a new one when full). */
  function allocate(): number {
    const reused = free.pop();
    if (reused !== undefined) return reused;
    let last = slabs[slabs.length - 1];
    if (!last || last.used === slabRows) {
      last = newSlab(Math.min(FIRST_SLAB_ROWS, slabRows));
      slabs.push(last);
    } else if (last.used === last.capacity) {
      const grown = newSlab(Math.min(last.capacity * 2, slabRows));
      for (let k = 0; k < dimension; k++) grown.vectors.set(last.vectors.subarray(k * last.capacity, k * last.capacity + last.used), k * grown.capacity);
      grown.used = last.used;
      grown.chunkIds = last.chunkIds;
      slabs[slabs.length - 1] = last = grown;
    }
    if (scratch.length < last.capacity) scratch = new Float64Array(last.capacity);
    return (slabs.length - 1) * slabRows + last.used++;
  }

  /** Copies a stored vector (little-endian float32 bytes) into its column positions. */
  function place(slot: number, chunkId: string, bytes: Uint8Array) {
    const slab = slabs[Math.floor(slot / slabRows)]!;
    const row = slot % slabRows;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let k = 0; k < dimension; k++) slab.vectors[k * slab.capacity + row] = view.getFloat32(k * 4, true);
    slab.chunkIds[row] = chunkId;
  }

  function release(documentId: string) {
    const entry = loaded.get(documentId);
    if (!entry) return;
    for (const slot of entry.slots) {
      slabs[Math.floor(slot / slabRows)]!.chunkIds[slot % slabRows] = undefined;
      free.push(slot);
    }
    live -= entry.slots.length;
    loaded.delete(documentId);
  }

  async function load(documentIds: string[], generations: Map<string, number>) {
    for (let start = 0; start < documentIds.length; start += LOAD_BATCH) {
      const ids = documentIds.slice(start, start + LOAD_BATCH);
      const rows = await db
        .select({ id: chunks.id, documentId: chunks.documentId, embedding: chunks.embedding })
        .from(chunks)
        .where(and(inArray(chunks.documentId, ids), eq(chunks.embeddingModel, model), eq(chunks.embeddingDimension, dimension)))
        .orderBy(chunks.documentId, chunks.ordinal);
      // Replaced in one synchronous step, so no search sees a document half loaded.
      for (const id of ids) release(id);
      for (const id of ids) loaded.set(id, { generation: generations.get(id)!, slots: [] });
      for (const row of rows) {
        const slot = allocate();
        place(slot, row.id, row.embedding);
        loaded.get(row.documentId)!.slots.push(slot);
        live++;
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
    for (const id of [...loaded.keys()]) if (!generations.has(id)) release(id);
    const changed = rows.filter((row) => loaded.get(row.id)?.generation !== row.generation).map((row) => row.id);
    await load(changed, generations);
    // Read before the documents: a commit in between is picked up by the next search.
    version = current;
  }

  /**
   * One refresh at a time. A refresh already under way may have read the version before the
   * caller's latest commit, so a caller arriving during one waits for one more after it; every
   * caller arriving meanwhile shares that next one.
   */
  function sync(): Promise<void> {
    if (!syncing) {
      syncing = refresh().finally(() => {
        syncing = undefined;
      });
      return syncing;
    }
    nextSync ??= syncing
      .catch(() => {})
      .then(() => {
        nextSync = undefined;
        return sync();
      });
    return nextSync;
  }

  return {
    kind: 'exact',
    sync,
    size: () => live,
    async stage() {},
    async write() {},
    async remove() {},
    async removeDocument() {},
    async search(query, limit) {
      await sync();
      const top = new TopK(limit);
      // The query's nonzero dimensions, once: every dimension for a dense query.
      const dims: number[] = [];
      const weights: number[] = [];
      for (let k = 0; k < dimension; k++) {
        if (query[k] !== 0) {
          dims.push(k);
          weights.push(query[k]!);
        }
      }
      const count = dims.length;
      const whole = count - (count % 4);
      const sums = scratch;
      for (const { capacity, used, vectors, chunkIds } of slabs) {
        sums.fill(0, 0, used);
        // Four columns per pass: a quarter of the reads and writes of the running sums.
        for (let t = 0; t < whole; t += 4) {
          const c0 = dims[t]! * capacity;
          const c1 = dims[t + 1]! * capacity;
          const c2 = dims[t + 2]! * capacity;
          const c3 = dims[t + 3]! * capacity;
          const w0 = weights[t]!;
          const w1 = weights[t + 1]!;
          const w2 = weights[t + 2]!;
          const w3 = weights[t + 3]!;
          for (let r = 0; r < used; r++) sums[r] = sums[r]! + w0 * vectors[c0 + r]! + w1 * vectors[c1 + r]! + w2 * vectors[c2 + r]! + w3 * vectors[c3 + r]!;
        }
        for (let t = whole; t < count; t++) {
          const c = dims[t]! * capacity;
          const w = weights[t]!;
          for (let r = 0; r < used; r++) sums[r] = sums[r]! + w * vectors[c + r]!;
        }
        let threshold = top.threshold;
        for (let r = 0; r < used; r++) {
          if (sums[r]! > threshold) {
            const chunkId = chunkIds[r];
            if (chunkId === undefined) continue;
            top.offer(chunkId, sums[r]!);
            threshold = top.threshold;
          }
        }
      }
      return top.hits();
    },
    async close() {
      loaded.clear();
      slabs.length = 0;
      free.length = 0;
      live = 0;
    },
  };
}

/** Bumps the version the exact index (on every replica) compares against; call inside the chunks' transaction. */
export const bumpIndexVersion = sql`update knowledge.index_state set version = version + 1 where id = 1`;

import type { Database } from '@voiceassist/database';

export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export type VectorIndexKind = 'qdrant' | 'pgvector' | 'exact';

export interface ChunkVector {
  chunkId: string;
  documentId: string;
  /** Unit length. */
  vector: Float32Array;
}

export interface VectorHit {
  chunkId: string;
  /** Cosine similarity, higher is nearer. */
  score: number;
}

/**
 * Nearest-neighbour search over chunk vectors of one embedding model. Postgres holds every
 * vector (chunks.embedding) and stays the source of truth; an index is rebuilt from it when it
 * starts empty. Writing a document's chunks goes: stage (stores outside Postgres) → write
 * (inside the chunks' transaction) → remove (the replaced chunks, after commit; or the staged
 * ones, when the transaction failed).
 */
export interface VectorIndex {
  readonly kind: VectorIndexKind;
  /** Before the transaction that inserts the chunks. */
  stage(vectors: ChunkVector[]): Promise<void>;
  /** Inside that transaction. */
  write(tx: Transaction, vectors: ChunkVector[]): Promise<void>;
  /** Chunks that no longer exist (or were never committed). */
  remove(chunkIds: string[]): Promise<void>;
  /** Every vector of a deleted document, including any a crashed writer left behind. */
  removeDocument(documentId: string): Promise<void>;
  /** Up to `limit` nearest chunks. May name chunks deleted a moment ago: callers join with the chunks table. */
  search(vector: Float32Array, limit: number): Promise<VectorHit[]>;
  close(): Promise<void>;
}

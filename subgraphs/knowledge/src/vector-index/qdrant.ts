import { QdrantClient } from '@qdrant/js-client-rest';
import { and, eq, gt, sql } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import type { Logger } from '@voiceassist/logging';
import { chunks } from '../db/schema.js';
import { decodeVector } from './encoding.js';
import type { ChunkVector, VectorIndex } from './types.js';

const UPSERT_BATCH = 256;

export interface QdrantIndexOptions {
  url: string;
  apiKey?: string | undefined;
  /** Collection name prefix; the model and vector size complete the name. */
  collectionPrefix: string;
  model: string;
  dimension: number;
  db: Database;
  logger: Logger;
}

/** e.g. knowledge_text_embedding_3_small_1536: one collection per model and size, so vectors never mix. */
export function qdrantCollectionName(prefix: string, model: string, dimension: number): string {
  const slug = model.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  return `${prefix}_${slug}_${dimension}`.slice(0, 200);
}

/**
 * Qdrant (REST): one collection per embedding model with the model's vector size and cosine
 * distance; a point per chunk (point id = chunk id) with the document id in its payload
 * (indexed, so a document's points can be found by filter). A new collection is filled from
 * the vectors stored in Postgres.
 */
export async function createQdrantIndex(options: QdrantIndexOptions): Promise<VectorIndex & { collection: string; client: QdrantClient }> {
  const { model, dimension, db, logger } = options;
  const client = new QdrantClient({ url: options.url, ...(options.apiKey ? { apiKey: options.apiKey } : {}), checkCompatibility: false });
  const collection = qdrantCollectionName(options.collectionPrefix, model, dimension);

  const upsert = async (vectors: Array<Pick<ChunkVector, 'chunkId' | 'documentId' | 'vector'>>) => {
    for (let start = 0; start < vectors.length; start += UPSERT_BATCH) {
      await client.upsert(collection, {
        wait: true,
        points: vectors.slice(start, start + UPSERT_BATCH).map((v) => ({
          id: v.chunkId,
          vector: Array.from(v.vector),
          payload: { document_id: v.documentId, chunk_id: v.chunkId },
        })),
      });
    }
  };

  const { exists } = await client.collectionExists(collection);
  if (!exists) {
    try {
      await client.createCollection(collection, { vectors: { size: dimension, distance: 'Cosine' } });
      await client.createPayloadIndex(collection, { field_name: 'document_id', field_schema: 'keyword', wait: true });
    } catch (error) {
      // Another replica created it first.
      if (!(await client.collectionExists(collection)).exists) throw error;
    }
  }
  const info = await client.getCollection(collection);
  const size = (info.config.params.vectors as { size?: number } | undefined)?.size;
  if (size !== undefined && size !== dimension) {
    throw new Error(`Qdrant collection ${collection} holds vectors of size ${size}, expected ${dimension}`);
  }
  const { count: stored } = await client.count(collection, { exact: true });
  const [{ count: expected } = { count: 0 }] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(chunks)
    .where(and(eq(chunks.embeddingModel, model), eq(chunks.embeddingDimension, dimension)));
  if (stored < expected) {
    logger.info({ collection, stored, expected }, 'filling the Qdrant collection from stored vectors');
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = await db
        .select({ id: chunks.id, documentId: chunks.documentId, embedding: chunks.embedding })
        .from(chunks)
        .where(and(eq(chunks.embeddingModel, model), eq(chunks.embeddingDimension, dimension), gt(chunks.id, after)))
        .orderBy(chunks.id)
        .limit(2000);
      if (rows.length === 0) break;
      await upsert(rows.map((row) => ({ chunkId: row.id, documentId: row.documentId, vector: decodeVector(row.embedding) })));
      after = rows.at(-1)!.id;
    }
  }

  return {
    kind: 'qdrant',
    collection,
    client,
    stage: upsert,
    async write() {},
    async remove(chunkIds) {
      for (let start = 0; start < chunkIds.length; start += UPSERT_BATCH) {
        await client.delete(collection, { wait: true, points: chunkIds.slice(start, start + UPSERT_BATCH) });
      }
    },
    async removeDocument(documentId) {
      await client.delete(collection, { wait: true, filter: { must: [{ key: 'document_id', match: { value: documentId } }] } });
    },
    async search(vector, limit) {
      const result = await client.query(collection, { query: Array.from(vector), limit, with_payload: false, with_vector: false });
      return result.points.map((point) => ({ chunkId: String(point.id), score: point.score }));
    },
    async close() {},
  };
}

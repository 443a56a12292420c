import { and, eq, sql } from 'drizzle-orm';
import type { DatabaseHandle } from '@voiceassist/database';
import type { Logger } from '@voiceassist/logging';
import { rowsOf } from '../db/rows.js';
import { chunks } from '../db/schema.js';
import { decodeVector, vectorLiteral } from './encoding.js';
import type { ChunkVector, Transaction, VectorIndex } from './types.js';

const INSERT_BATCH = 200;
const BACKFILL_BATCH = 2000;
/**
 * HNSW candidates per query (KNOWLEDGE_HNSW_EF_SEARCH): pgvector's default 40 finds 0.87 of the
 * exact top 10 at 10,000 vectors; 200 finds 0.985 there and 0.91 at 100,000 (see search.bench.ts).
 */
export const PGVECTOR_EF_SEARCH = 200;
/**
 * HNSW graph: denser than pgvector's defaults (16, 64), which reach recall@10 0.92 at 30,000
 * hashed-n-gram vectors where these reach 0.96, for twice the build and insert time.
 */
export const PGVECTOR_HNSW = { m: 24, efConstruction: 128 };


/**
 * pgvector with an HNSW index (inner product on unit vectors = cosine). The table is created at
 * start rather than by a migration, because the base migrations must also run on PostgreSQL
 * without the extension; it holds only vectors of the current model (its column has the
 * model's size), refilled from chunks.embedding when the model or size changes.
 */
export async function createPgvectorIndex(options: {
  database: DatabaseHandle;
  model: string;
  dimension: number;
  logger: Logger;
  /** HNSW candidates per query (hnsw.ef_search): recall against latency. */
  efSearch?: number;
  /** Graph parameters, used when the index is created. */
  hnsw?: { m: number; efConstruction: number };
}): Promise<VectorIndex> {
  const { database, model, dimension, logger, efSearch = PGVECTOR_EF_SEARCH, hnsw = PGVECTOR_HNSW } = options;
  const { db } = database;
  if (!database.hasVector) throw new Error('pgvector is not installed in this database');
  // HNSW indexes `vector` up to 2,000 dimensions and `halfvec` up to 4,000 (text-embedding-3-large).
  const type = dimension > 2000 ? 'halfvec' : 'vector';
  const cast = sql.raw(`::${type}`);

  await db.transaction(async (tx) => {
    // Replicas starting together set the table up one at a time.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('knowledge:chunk_vectors'))`);
    const [existing] = rowsOf<{ type: string | null }>(
      await tx.execute(sql`select format_type(atttypid, atttypmod) as type from pg_attribute
        where attrelid = to_regclass('knowledge.chunk_vectors') and attname = 'embedding'`),
    );
    if (existing && existing.type !== `${type}(${dimension})`) {
      logger.warn({ from: existing.type, to: `${type}(${dimension})` }, 'embedding size changed: rebuilding the pgvector table');
      await tx.execute(sql`drop table knowledge.chunk_vectors`);
    }
    await tx.execute(sql.raw(`create table if not exists knowledge.chunk_vectors (
      chunk_id uuid primary key references knowledge.chunks(id) on delete cascade,
      embedding ${type}(${dimension}) not null)`));
    // Vectors of another model (same size) are never compared with this one's.
    await tx.execute(sql`delete from knowledge.chunk_vectors v using knowledge.chunks c
      where c.id = v.chunk_id and (c.embedding_model <> ${model} or c.embedding_dimension <> ${dimension})`);
  });
  await backfill();
  await db.execute(sql`create index if not exists chunk_vectors_embedding_idx on knowledge.chunk_vectors using hnsw (embedding ${sql.raw(`${type}_ip_ops`)}) with (m = ${sql.raw(String(Math.round(hnsw.m)))}, ef_construction = ${sql.raw(String(Math.round(hnsw.efConstruction)))})`);

  /** Chunks of the current model missing from the table (first start, a rebuild), filled from chunks.embedding. */
  async function backfill() {
    let filled = 0;
    for (;;) {
      const rows = await db
        .select({ id: chunks.id, embedding: chunks.embedding })
        .from(chunks)
        .where(
          and(
            eq(chunks.embeddingModel, model),
            eq(chunks.embeddingDimension, dimension),
            sql`not exists (select 1 from knowledge.chunk_vectors v where v.chunk_id = ${chunks.id})`,
          ),
        )
        .limit(BACKFILL_BATCH);
      if (rows.length === 0) break;
      await db.transaction((tx) => insert(tx, rows.map((row) => ({ chunkId: row.id, vector: decodeVector(row.embedding) }))));
      filled += rows.length;
    }
    if (filled > 0) logger.info({ chunks: filled }, 'filled the pgvector index from stored vectors');
  }

  async function insert(tx: Transaction, vectors: Array<Pick<ChunkVector, 'chunkId' | 'vector'>>) {
    for (let start = 0; start < vectors.length; start += INSERT_BATCH) {
      const rows = vectors.slice(start, start + INSERT_BATCH).map((v) => sql`(${v.chunkId}::uuid, ${vectorLiteral(v.vector)}${cast})`);
      await tx.execute(sql`insert into knowledge.chunk_vectors (chunk_id, embedding) values ${sql.join(rows, sql`, `)} on conflict do nothing`);
    }
  }

  return {
    kind: 'pgvector',
    async stage() {},
    write: insert,
    // Rows go with their chunks (on delete cascade).
    async remove() {},
    async removeDocument() {},
    async search(vector, limit) {
      const literal = vectorLiteral(vector);
      const candidates = Math.max(limit, Math.round(efSearch));
      return db.transaction(async (tx) => {
        await tx.execute(sql.raw(`set local hnsw.ef_search = ${candidates}`));
        const result = await tx.execute(sql`select chunk_id as "chunkId", -(embedding <#> ${literal}${cast}) as score
          from knowledge.chunk_vectors order by embedding <#> ${literal}${cast} limit ${limit}`);
        return rowsOf<{ chunkId: string; score: number }>(result).map((row) => ({ chunkId: row.chunkId, score: Number(row.score) }));
      });
    },
    async close() {},
  };
}

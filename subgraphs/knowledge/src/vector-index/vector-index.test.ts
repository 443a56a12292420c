import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import type { DatabaseHandle } from '@voiceassist/database';
import { createLogger } from '@voiceassist/logging';
import { openTestDatabase } from '@voiceassist/testkit/database';
import { knowledgeDatabase } from '../db/database.js';
import { chunks, documents } from '../db/schema.js';
import { hashContent } from '../input.js';
import { createExactVectorIndex } from './exact.js';
import { bumpIndexVersion, createVectorIndex, encodeVector, type VectorIndex } from './index.js';
import { qdrantCollectionName, type createQdrantIndex } from './qdrant.js';

type QdrantIndex = Awaited<ReturnType<typeof createQdrantIndex>>;

// The same contract for every backend this machine has: pgvector (PGlite, or a Postgres with the
// extension) and the exact scan (always). Qdrant has its own file, run when QDRANT_URL is set.
const logger = createLogger({ service: 'knowledge-test', level: 'silent' });
const unit = (values: number[]) => {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
};

let testDatabase: Awaited<ReturnType<typeof openTestDatabase>>;
let database: DatabaseHandle;

beforeAll(async () => {
  testDatabase = await openTestDatabase(knowledgeDatabase);
  database = testDatabase.database;
});
afterAll(async () => {
  await testDatabase?.close();
});

/** Writes a document with one chunk per vector the way ingestion does: stage, then one transaction. */
async function addDocument(index: VectorIndex, model: string, vectors: Float32Array[]): Promise<{ documentId: string; chunkIds: string[] }> {
  const documentId = randomUUID();
  const rows = vectors.map((vector, ordinal) => ({
    id: randomUUID(),
    documentId,
    ordinal,
    documentTitle: 'Test',
    content: `chunk ${ordinal}`,
    embedding: encodeVector(vector),
    embeddingModel: model,
    embeddingDimension: vector.length,
  }));
  const items = rows.map((row, i) => ({ chunkId: row.id, documentId, vector: vectors[i]! }));
  await index.stage(items);
  await database.db.transaction(async (tx) => {
    const content = Buffer.from(documentId);
    await tx.insert(documents).values({
      id: documentId,
      title: 'Test',
      mimeType: 'text/plain',
      content,
      contentHash: hashContent('text/plain', content),
      byteSize: content.length,
      status: 'READY',
      chunkCount: rows.length,
      embeddingModel: model,
      embeddingDimension: vectors[0]!.length,
      generation: 1,
    });
    await tx.insert(chunks).values(rows);
    await index.write(tx, items);
    await tx.execute(bumpIndexVersion);
  });
  return { documentId, chunkIds: rows.map((row) => row.id) };
}

async function deleteDocument(index: VectorIndex, documentId: string) {
  await database.db.transaction(async (tx) => {
    await tx.delete(documents).where(eq(documents.id, documentId));
    await tx.execute(bumpIndexVersion);
  });
  await index.removeDocument(documentId);
}

const QDRANT_URL = testEnv.QDRANT_URL;
if (!QDRANT_URL) console.log('Qdrant vector index contract tests skipped: QDRANT_URL is not set (e.g. QDRANT_URL=http://127.0.0.1:6333 runs them).');
const backends = [...(testEnv.DATABASE_URL ? ['exact'] : ['pgvector', 'exact']), ...(QDRANT_URL ? ['qdrant'] : [])] as Array<'pgvector' | 'exact' | 'qdrant'>;
/** Collections this run creates in Qdrant, removed at the end. */
const qdrantPrefix = `knowledge_test_${randomUUID().slice(0, 8)}`;
const opened: VectorIndex[] = [];
afterAll(async () => {
  const collections = new Set(opened.flatMap((index) => ('collection' in index ? [index as QdrantIndex] : [])).map((index) => index.collection));
  const client = opened.find((index): index is QdrantIndex => 'client' in index)?.client;
  for (const collection of collections) await client?.deleteCollection(collection);
});

describe.each(backends)('%s vector index', (kind) => {
  const model = `test-model-${kind}`;
  const open = async (m = model, dimension = 4) => {
    const index = await createVectorIndex({ choice: kind, database, model: m, dimension, logger, qdrant: { url: QDRANT_URL, collectionPrefix: qdrantPrefix } });
    opened.push(index);
    return index;
  };

  it('returns the nearest chunks first with their cosine similarity, and forgets deleted documents', async () => {
    const index = await open();
    const a = await addDocument(index, model, [unit([1, 0, 0, 0]), unit([0.9, 0.1, 0, 0])]);
    const b = await addDocument(index, model, [unit([0, 1, 0, 0]), unit([0, 0, 1, 0])]);
    const hits = await index.search(unit([1, 0.05, 0, 0]), 3);
    expect(hits.map((h) => h.chunkId)).toEqual([a.chunkIds[0], a.chunkIds[1], b.chunkIds[0]]);
    expect(hits[0]!.score).toBeCloseTo(0.9988, 3);
    expect(hits[2]!.score).toBeCloseTo(0.0499, 3);

    await deleteDocument(index, a.documentId);
    const after = await index.search(unit([1, 0.05, 0, 0]), 3);
    expect(after.map((h) => h.chunkId)).toEqual([b.chunkIds[0], b.chunkIds[1]]);
    await deleteDocument(index, b.documentId);
    await index.close();
  });

  it('never mixes vectors of another model, and picks up its own again from stored vectors', async () => {
    const first = await open(`${model}-a`);
    const own = await addDocument(first, `${model}-a`, [unit([1, 1, 0, 0])]);
    await first.close();
    const second = await open(`${model}-b`);
    expect(await second.search(unit([1, 1, 0, 0]), 5)).toEqual([]);
    await second.close();
    // A fresh index for the first model finds its chunks again (rebuilt from chunks.embedding).
    const again = await open(`${model}-a`);
    expect((await again.search(unit([1, 1, 0, 0]), 5)).map((h) => h.chunkId)).toEqual(own.chunkIds);
    await deleteDocument(again, own.documentId);
    await again.close();
  });

  it('sees what another instance (a replica) committed', async () => {
    const writer = await open(`${model}-r`);
    const reader = await open(`${model}-r`);
    expect(await reader.search(unit([0, 0, 0, 1]), 5)).toEqual([]);
    const added = await addDocument(writer, `${model}-r`, [unit([0, 0, 0, 1])]);
    expect((await reader.search(unit([0, 0, 0, 1]), 5)).map((h) => h.chunkId)).toEqual(added.chunkIds);
    await deleteDocument(writer, added.documentId);
    expect(await reader.search(unit([0, 0, 0, 1]), 5)).toEqual([]);
    await Promise.all([writer.close(), reader.close()]);
  });
});

describe('exact scan', () => {
  /** Deterministic pseudo-random numbers in [-0.5, 0.5). */
  const random = (seed: number) => () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
  const next = random(7);
  /** A unit vector with `nonzero` random dimensions set: sparse like a hashed n-gram query, or dense. */
  const vectorWith = (dimension: number, nonzero: number) => {
    const order = Array.from({ length: dimension }, (_, k) => k).sort(() => next());
    const values = new Array<number>(dimension).fill(0);
    for (const k of order.slice(0, nonzero)) values[k] = next();
    return unit(values);
  };

  it('scores sparse and dense queries exactly as a dense dot product, across slabs and reused rows', async () => {
    const model = 'test-model-exact-columns';
    const dimension = 48;
    // Slabs of 16 rows (grown from 8): 9 documents of 7 chunks fill several, and the deleted ones free rows to reuse.
    const index = createExactVectorIndex({ db: database.db, model, dimension, slabRows: 16 });
    const live = new Map<string, Float32Array>();
    const added: Array<{ documentId: string; chunkIds: string[] }> = [];
    for (let d = 0; d < 9; d++) {
      const vectors = Array.from({ length: 7 }, () => vectorWith(dimension, dimension));
      const document = await addDocument(index, model, vectors);
      document.chunkIds.forEach((id, i) => live.set(id, vectors[i]!));
      added.push(document);
      // Searching between writes loads the index in steps, as a running service does.
      if (d % 3 === 0) await index.search(vectorWith(dimension, 5), 3);
    }
    for (const { documentId, chunkIds } of added.slice(2, 5)) {
      await deleteDocument(index, documentId);
      for (const id of chunkIds) live.delete(id);
    }
    const late = Array.from({ length: 5 }, () => vectorWith(dimension, dimension));
    const lateDocument = await addDocument(index, model, late);
    lateDocument.chunkIds.forEach((id, i) => live.set(id, late[i]!));
    for (const nonzero of [1, 4, 12, dimension]) {
      for (let q = 0; q < 4; q++) {
        const query = vectorWith(dimension, nonzero);
        const expected = [...live]
          .map(([chunkId, v]) => ({ chunkId, score: v.reduce((sum, x, k) => sum + x * query[k]!, 0) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, 10);
        const hits = await index.search(query, 10);
        expect(hits.map((h) => h.chunkId)).toEqual(expected.map((h) => h.chunkId));
        hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]!.score, 5));
      }
    }
    expect(index.size()).toBe(live.size);
    for (const { documentId } of [...added.slice(0, 2), ...added.slice(5), lateDocument]) await deleteDocument(index, documentId);
    await index.close();
  });
});

describe.skipIf(!!testEnv.DATABASE_URL)('pgvector table', () => {
  it('is rebuilt with the new size when the model’s vector size changes', async () => {
    const typeOf = async () =>
      (
        await database.query<{ type: string }>(
          sql`select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'knowledge.chunk_vectors'::regclass and attname = 'embedding'`,
        )
      )[0]?.type;
    await createVectorIndex({ choice: 'pgvector', database, model: 'size-a', dimension: 8, logger });
    expect(await typeOf()).toBe('vector(8)');
    await createVectorIndex({ choice: 'pgvector', database, model: 'size-b', dimension: 3000, logger });
    expect(await typeOf()).toBe('halfvec(3000)');
  });
});

describe.skipIf(!QDRANT_URL)('Qdrant collection', () => {
  it('is created with the model’s vector size, cosine distance, and the document id in each point’s payload', async () => {
    const index = (await createVectorIndex({ choice: 'qdrant', database, model: 'payload-model', dimension: 4, logger, qdrant: { url: QDRANT_URL, collectionPrefix: qdrantPrefix } })) as QdrantIndex;
    opened.push(index);
    expect(index.collection).toBe(qdrantCollectionName(qdrantPrefix, 'payload-model', 4));
    const info = await index.client.getCollection(index.collection);
    expect(info.config.params.vectors).toMatchObject({ size: 4, distance: 'Cosine' });
    const added = await addDocument(index, 'payload-model', [unit([1, 2, 3, 4])]);
    const [point] = await index.client.retrieve(index.collection, { ids: added.chunkIds, with_payload: true });
    expect(point?.payload).toMatchObject({ document_id: added.documentId, chunk_id: added.chunkIds[0] });
    await deleteDocument(index, added.documentId);
    expect(await index.client.retrieve(index.collection, { ids: added.chunkIds })).toEqual([]);
  });
});

import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@voiceassist/errors';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import { fakeEmbeddingStats } from '@voiceassist/testkit/openai-server/embeddings';
import { openSubgraphDatabase } from '@voiceassist/database';
import { knowledgeDatabase } from './db/database.js';
import { chunks, documents } from './db/schema.js';
import type { IngestDocumentInput } from './input.js';
import { makePdf } from './testing/pdf.js';
import { startTestKnowledge, type TestKnowledge } from './testing/service.js';

// The knowledge service without the router: ingestion, its failure modes and recovery, on PGlite
// (pgvector) or on the machine's PostgreSQL (exact scan) when DATABASE_URL is set.
let fake: FakeOpenAIServer;
const started: TestKnowledge[] = [];
const openaiEnv = () => ({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_EMBEDDING_MODEL: 'text-embedding-3-small', OPENAI_EMBEDDING_DIMENSION: '64' });

async function start(options: Parameters<typeof startTestKnowledge>[0] = {}) {
  const knowledge = await startTestKnowledge(options);
  started.push(knowledge);
  return knowledge;
}

beforeAll(async () => {
  fake = await startFakeOpenAIServer();
});
afterAll(async () => {
  for (const knowledge of started.reverse()) await knowledge.drop().catch(() => {});
  await fake.close();
});

const paragraphs = (n: number, topic = 'anticoagulation') =>
  Array.from({ length: n }, (_, i) => `Paragraph ${i} about ${topic}: the dose is reviewed every ${i + 1} days and the plan is written down.`).join('\n\n');

async function storedChunks(knowledge: TestKnowledge, documentId: string) {
  return knowledge.service.database.db.select().from(chunks).where(eq(chunks.documentId, documentId));
}

async function vectorRows(knowledge: TestKnowledge, documentId: string): Promise<number> {
  if (knowledge.service.vectorIndex.kind !== 'pgvector') return 0;
  const [row] = await knowledge.service.database.query<{ count: number }>(
    sql`select count(*)::int as count from knowledge.chunk_vectors v join knowledge.chunks c on c.id = v.chunk_id where c.document_id = ${documentId}`,
  );
  return row?.count ?? 0;
}

async function statusOf(knowledge: TestKnowledge, id: string) {
  const [row] = await knowledge.service.database.db.select({ status: documents.status, error: documents.error, chunkCount: documents.chunkCount }).from(documents).where(eq(documents.id, id));
  return row;
}

describe('ingestion', () => {
  let knowledge: TestKnowledge;
  beforeAll(async () => {
    knowledge = await start({ env: { KNOWLEDGE_MAX_DOCUMENT_BYTES: '2000', KNOWLEDGE_CHUNK_CHARS: '300', KNOWLEDGE_CHUNK_OVERLAP_CHARS: '0' } });
  });

  it('accepts a document as PENDING, then indexes it: chunks with the model, searchable', async () => {
    const document = await knowledge.service.ingestion.ingest({ title: 'Anticoagulation notes', mimeType: 'text/plain', text: paragraphs(6) }, null);
    expect(document).toMatchObject({ status: 'PENDING', chunkCount: 0, mimeType: 'text/plain', title: 'Anticoagulation notes' });
    await knowledge.service.ingestion.idle();
    const rows = await storedChunks(knowledge, document.id);
    expect(rows.length).toBeGreaterThan(1);
    expect(await statusOf(knowledge, document.id)).toEqual({ status: 'READY', error: null, chunkCount: rows.length });
    expect(rows.map((row) => row.ordinal).sort()).toEqual(rows.map((_, i) => i));
    expect(rows.every((row) => row.embeddingModel === knowledge.service.embedder.model && row.embeddingDimension === knowledge.service.embedder.dimension)).toBe(true);
    expect(await vectorRows(knowledge, document.id)).toBe(knowledge.service.vectorIndex.kind === 'pgvector' ? rows.length : 0);
    const hits = await knowledge.service.search.search({ query: 'reviewed every 4 days', mode: 'HYBRID', limit: 3 });
    expect(hits[0]).toMatchObject({ documentId: document.id, content: expect.stringContaining('every 4 days') });
  });

  it('returns the stored document for identical content instead of adding it again', async () => {
    const input = { title: 'First title', mimeType: 'text/markdown', text: '# Dup\n\nSame content twice.' };
    const first = await knowledge.service.ingestion.ingest(input, null);
    await knowledge.service.ingestion.idle();
    const second = await knowledge.service.ingestion.ingest({ ...input, title: 'Another title' }, null);
    expect(second).toMatchObject({ id: first.id, title: 'First title', status: 'READY' });
    const [{ count } = { count: 0 }] = await knowledge.service.database.query<{ count: number }>(sql`select count(*)::int as count from knowledge.documents where title in ('First title', 'Another title')`);
    expect(count).toBe(1);
  });

  it.each<[string, Partial<IngestDocumentInput>, string, RegExp]>([
    ['empty text', { text: '   \n ' }, 'input.text', /empty/],
    ['an unsupported type', { mimeType: 'application/msword', text: 'x' }, 'input.mimeType', /Unsupported type/],
    ['both text and base64', { text: 'x', base64: 'eA==' }, 'input.base64', /either text or base64/],
    ['neither text nor base64', {}, 'input.text', /either text or base64/],
    ['invalid base64', { base64: 'not base64!' }, 'input.base64', /not valid base64/],
    ['content over the size limit', { text: 'x'.repeat(2001) }, 'input.text', /at most/],
    ['base64 over the size limit', { base64: Buffer.alloc(2001, 65).toString('base64') }, 'input.base64', /at most/],
    ['an undecodable PDF', { mimeType: 'application/pdf', base64: Buffer.from('%PDF-1.4\nnothing else').toString('base64') }, 'input.base64', /could not be read/],
    ['a PDF sent as text', { mimeType: 'application/pdf', text: '%PDF-1.4' }, 'input.text', /base64/],
    ['HTML without text', { mimeType: 'text/html', text: '<div><img src="x.png"></div>' }, 'input.text', /no text/],
    ['an empty title', { title: '  ', text: 'x' }, 'input.title', /Title/],
  ])('refuses %s with BAD_USER_INPUT naming the field', async (_label, override, field, message) => {
    const input = { title: 'Bad input', mimeType: 'text/plain', ...override } as IngestDocumentInput;
    const error = await knowledge.service.ingestion.ingest(input, null).catch((e: unknown) => e);
    expect(errorCode(error)).toBe('BAD_USER_INPUT');
    expect(error).toMatchObject({ message: expect.stringMatching(message), extensions: { field } });
  });

  it('indexes a PDF with page numbers on its chunks', async () => {
    const pdf = await makePdf([{ heading: 'Warfarin', paragraphs: ['The usual INR target on warfarin is 2.0 to 3.0.'] }, { paragraphs: ['With an INR above 8 and no bleeding, withhold warfarin.'] }]);
    const document = await knowledge.service.ingestion.ingest({ title: 'Warfarin', mimeType: 'application/pdf', base64: Buffer.from(pdf).toString('base64') }, null);
    await knowledge.service.ingestion.idle();
    const rows = (await storedChunks(knowledge, document.id)).sort((a, b) => a.ordinal - b.ordinal);
    expect(rows.map((row) => [row.heading, row.page, row.pageEnd])).toEqual([['Warfarin', 1, 2]]);
    const [hit] = await knowledge.service.search.search({ query: 'INR above 8', mode: 'KEYWORD' });
    expect(hit).toMatchObject({ documentId: document.id, page: 1, pageEnd: 2 });
  });

  it('deletes a document with its chunks and vectors', async () => {
    const document = await knowledge.service.ingestion.ingest({ title: 'Temporary', mimeType: 'text/plain', text: 'Bisoprolol is a cardioselective beta blocker.' }, null);
    await knowledge.service.ingestion.idle();
    expect(await knowledge.service.ingestion.remove(document.id)).toBe(true);
    expect(await storedChunks(knowledge, document.id)).toEqual([]);
    expect(await vectorRows(knowledge, document.id)).toBe(0);
    for (const mode of ['SEMANTIC', 'KEYWORD'] as const) {
      expect((await knowledge.service.search.search({ query: 'cardioselective beta blocker bisoprolol', mode })).some((hit) => hit.documentId === document.id)).toBe(false);
    }
    expect(await knowledge.service.ingestion.remove(document.id)).toBe(false);
  });
});

describe('with an OpenAI-compatible embedding server', () => {
  it('a failure leaves the document FAILED with the reason and no chunks or vectors; re-adding it retries', async () => {
    fake.behaviour = {};
    const knowledge = await start({ env: { ...openaiEnv(), KNOWLEDGE_CHUNK_CHARS: '200', KNOWLEDGE_CHUNK_OVERLAP_CHARS: '0' } });
    // About 40 chunks → two embedding requests; the second fails after the first succeeded.
    fake.behaviour = { embeddingsFailAfterRequests: fakeEmbeddingStats(fake).requests + 1 };
    const input = { title: 'Long guideline', mimeType: 'text/plain', text: paragraphs(80) };
    const document = await knowledge.service.ingestion.ingest(input, null);
    await knowledge.service.ingestion.idle();
    expect(await statusOf(knowledge, document.id)).toEqual({ status: 'FAILED', error: 'Embedding failed: Embedding provider answered 500', chunkCount: 0 });
    expect(await storedChunks(knowledge, document.id)).toEqual([]);
    expect(await vectorRows(knowledge, document.id)).toBe(0);

    fake.behaviour = {};
    const retried = await knowledge.service.ingestion.ingest(input, null);
    expect(retried).toMatchObject({ id: document.id, status: 'PENDING', error: null });
    await knowledge.service.ingestion.idle();
    expect(await statusOf(knowledge, document.id)).toMatchObject({ status: 'READY', chunkCount: expect.any(Number) });
    expect((await statusOf(knowledge, document.id))!.chunkCount).toBeGreaterThan(32);
  });

  it('a failed reindex keeps the previous chunks searchable', async () => {
    fake.behaviour = {};
    const knowledge = await start({ env: openaiEnv() });
    const document = await knowledge.service.ingestion.ingest({ title: 'Stable', mimeType: 'text/plain', text: 'Apixaban dosing in renal impairment.' }, null);
    await knowledge.service.ingestion.idle();
    const before = (await storedChunks(knowledge, document.id)).map((row) => row.id);
    fake.behaviour = { embeddingsFailStatus: 503 };
    await knowledge.service.ingestion.reindex(document.id);
    await knowledge.service.ingestion.idle();
    expect(await statusOf(knowledge, document.id)).toMatchObject({ status: 'FAILED', chunkCount: 1, error: 'Embedding failed: Embedding provider answered 503' });
    expect((await storedChunks(knowledge, document.id)).map((row) => row.id)).toEqual(before);
    expect((await knowledge.service.search.search({ query: 'apixaban', mode: 'KEYWORD' }))[0]?.documentId).toBe(document.id);
    fake.behaviour = {};
  });

  it('refuses to reindex a document that is being indexed', async () => {
    fake.behaviour = { embeddingsDelayMs: 1500 };
    const knowledge = await start({ env: openaiEnv() });
    const document = await knowledge.service.ingestion.ingest({ title: 'Slow', mimeType: 'text/plain', text: 'Slow to embed.' }, null);
    await expect.poll(async () => (await statusOf(knowledge, document.id))?.status, { timeout: 10_000 }).toBe('INDEXING');
    const error = await knowledge.service.ingestion.reindex(document.id).catch((e: unknown) => e);
    expect(errorCode(error)).toBe('CONFLICT');
    await knowledge.service.ingestion.idle();
    fake.behaviour = {};
  });
});

describe('embedding model changes', () => {
  it('leaves documents of the old model out of semantic search until they are reindexed', async () => {
    fake.behaviour = {};
    // On PGlite the database lives in a folder, so the service restarts on it with another model.
    const first = await start({ reopenable: true });
    const document = await first.service.ingestion.ingest({ title: 'Model A', mimeType: 'text/plain', text: 'Tranexamic acid reduces bleeding after trauma.' }, null);
    await first.service.ingestion.idle();
    await first.stop();
    const second = await start({ database: first.database, env: openaiEnv() });
    const semantic = () => second.service.search.search({ query: 'tranexamic acid trauma bleeding', mode: 'SEMANTIC' });
    expect((await semantic()).some((hit) => hit.documentId === document.id)).toBe(false);
    expect((await second.service.search.search({ query: 'tranexamic acid', mode: 'KEYWORD' }))[0]?.documentId).toBe(document.id);
    await second.service.ingestion.reindex(document.id);
    await second.service.ingestion.idle();
    expect((await semantic())[0]?.documentId).toBe(document.id);
  });
});

describe('recovery', () => {
  it('resumes a document whose indexing claim expired (a crashed instance)', async () => {
    fake.behaviour = {};
    const knowledge = await start();
    const document = await knowledge.service.ingestion.ingest({ title: 'Orphan', mimeType: 'text/plain', text: 'Left behind by a crash.' }, null);
    await knowledge.service.ingestion.idle();
    await knowledge.service.database.db
      .update(documents)
      .set({ status: 'INDEXING', leaseUntil: new Date(Date.now() - 1000), leaseToken: '00000000-0000-4000-8000-000000000000' })
      .where(eq(documents.id, document.id));
    await knowledge.service.ingestion.resume();
    await knowledge.service.ingestion.idle();
    expect(await statusOf(knowledge, document.id)).toMatchObject({ status: 'READY', chunkCount: 1 });
  });

  it('a second instance picks up what a stopped instance handed back', async () => {
    fake.behaviour = { embeddingsDelayMs: 400 };
    const first = await start({ reopenable: true, env: { ...openaiEnv(), KNOWLEDGE_CHUNK_CHARS: '200', KNOWLEDGE_CHUNK_OVERLAP_CHARS: '0' } });
    const document = await first.service.ingestion.ingest({ title: 'Handover', mimeType: 'text/plain', text: paragraphs(70, 'handover') }, null);
    await expect.poll(async () => (await statusOf(first, document.id))?.status, { timeout: 10_000 }).toBe('INDEXING');
    await first.stop();
    const look = await openSubgraphDatabase(knowledgeDatabase, { url: first.database.url, dataDir: first.database.dataDir });
    const [handedBack] = await look.db.select({ status: documents.status, leaseUntil: documents.leaseUntil }).from(documents).where(eq(documents.id, document.id));
    await look.close();
    expect(handedBack).toEqual({ status: 'PENDING', leaseUntil: null });
    fake.behaviour = {};
    const second = await start({ database: first.database, env: openaiEnv() });
    await expect.poll(async () => (await statusOf(second, document.id))?.status, { timeout: 20_000 }).toBe('READY');
  });
});

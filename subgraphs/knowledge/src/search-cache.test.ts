import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@voiceassist/database';
import type { Registry } from '@voiceassist/metrics';
import { testEnv } from '@voiceassist/testkit/env';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import { fakeEmbeddingStats } from '@voiceassist/testkit/openai-server/embeddings';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';
import type { CacheLookup, CacheName } from './search-cache.js';
import { knowledgeStarter, type TestKnowledge } from './testing/service.js';

// Cached search results and query embeddings in the knowledge service: hits on repeated
// questions, never a result from before a change of passages (on this instance, on another
// sharing Redis and the database, and with Redis away), and no degraded answer kept. PGlite, or
// PostgreSQL and Redis when CI sets them; two instances need a database both can open (PostgreSQL).
let fake: FakeOpenAIServer;
const start = knowledgeStarter(() => ({ env: { OPENAI_BASE_URL: fake.baseUrl, OPENAI_EMBEDDING_MODEL: 'text-embedding-3-small', OPENAI_EMBEDDING_DIMENSION: '64' } }));

beforeAll(async () => {
  fake = await startFakeOpenAIServer();
});
afterAll(async () => {
  await fake.close();
});

/** Cache lookups by result, as the service's /metrics counts them. */
async function lookups(knowledge: TestKnowledge, cache: CacheName): Promise<Record<CacheLookup, number>> {
  const registry: Registry = knowledge.service.server.metrics.registry;
  const metric = await registry.getSingleMetric('knowledge_cache_lookups_total')!.get();
  const counts: Record<CacheLookup, number> = { memory_hit: 0, redis_hit: 0, miss: 0 };
  for (const { labels, value } of metric.values) if (labels.cache === cache) counts[labels.result as CacheLookup] += value;
  return counts;
}

async function invalidationsSeen(knowledge: TestKnowledge): Promise<number> {
  const metric = await knowledge.service.server.metrics.registry.getSingleMetric('knowledge_cache_invalidations_total')!.get();
  return metric.values.reduce((sum, { value }) => sum + value, 0);
}

async function addDocument(knowledge: TestKnowledge, title: string, text: string) {
  const document = await knowledge.service.ingestion.ingest({ title, mimeType: 'text/plain', text }, null);
  await knowledge.service.ingestion.idle();
  return document;
}

const documentsFound = async (knowledge: TestKnowledge, query: string, mode: 'HYBRID' | 'KEYWORD' | 'SEMANTIC' = 'HYBRID') =>
  (await knowledge.service.search.search({ query, mode })).map((hit) => hit.documentTitle);

describe('search cache on one instance', () => {
  let knowledge: TestKnowledge;
  beforeAll(async () => {
    knowledge = await start();
    await addDocument(knowledge, 'Apixaban', 'Apixaban dose in renal impairment is 2.5 mg twice daily when two criteria apply.');
    await addDocument(knowledge, 'Warfarin', 'Warfarin is monitored by INR; the target range in atrial fibrillation is 2 to 3.');
  });

  it('answers a repeated question from memory, without embedding it or searching again', async () => {
    const question = 'apixaban dose renal impairment';
    const embeddings = fakeEmbeddingStats(fake).texts;
    const before = await lookups(knowledge, 'search');
    const first = await knowledge.service.search.search({ query: question });
    const embeddedOnce = fakeEmbeddingStats(fake).texts;
    expect(embeddedOnce).toBe(embeddings + 1);
    const second = await knowledge.service.search.search({ query: `  ${question} ` });
    expect(second).toEqual(first);
    expect(first[0]?.documentTitle).toBe('Apixaban');
    expect(fakeEmbeddingStats(fake).texts).toBe(embeddedOnce);
    const after = await lookups(knowledge, 'search');
    expect(after.miss - before.miss).toBe(1);
    expect(after.memory_hit - before.memory_hit).toBe(1);
  });

  it('keeps limits and modes apart, and embeds a question once for all of them', async () => {
    const question = 'warfarin INR target';
    const embeddings = fakeEmbeddingStats(fake).texts;
    const five = await knowledge.service.search.search({ query: question, limit: 5 });
    const one = await knowledge.service.search.search({ query: question, limit: 1 });
    const keyword = await knowledge.service.search.search({ query: question, mode: 'KEYWORD' });
    const semantic = await knowledge.service.search.search({ query: question, mode: 'SEMANTIC' });
    expect(five.length).toBe(2);
    expect(one.map((hit) => hit.id)).toEqual([five[0]!.id]);
    expect(keyword[0]?.documentTitle).toBe('Warfarin');
    expect(semantic[0]?.documentTitle).toBe('Warfarin');
    expect(fakeEmbeddingStats(fake).texts).toBe(embeddings + 1);
  });

  it('never answers from before a document was deleted, added or reindexed', async () => {
    const question = 'anticoagulant dose monitoring';
    const cached = await documentsFound(knowledge, question);
    expect(cached.sort()).toEqual(['Apixaban', 'Warfarin']);
    const warfarin = (await knowledge.service.search.search({ query: 'warfarin', mode: 'KEYWORD' }))[0]!.documentId;
    const seen = await invalidationsSeen(knowledge);
    expect(await knowledge.service.ingestion.remove(warfarin)).toBe(true);
    expect(await documentsFound(knowledge, question)).toEqual(['Apixaban']);
    expect(await documentsFound(knowledge, 'warfarin INR target', 'KEYWORD')).toEqual([]);
    expect(await invalidationsSeen(knowledge)).toBeGreaterThan(seen);
    await addDocument(knowledge, 'Dabigatran', 'Dabigatran dose needs no INR monitoring; an anticoagulant cleared by the kidney.');
    expect((await documentsFound(knowledge, question)).sort()).toEqual(['Apixaban', 'Dabigatran']);

    // A reindex replaces the passages (new ids): a cached citation would name a passage that is gone.
    const [before] = await knowledge.service.search.search({ query: 'apixaban renal', mode: 'KEYWORD' });
    await knowledge.service.ingestion.reindex(before!.documentId);
    await knowledge.service.ingestion.idle();
    const [after] = await knowledge.service.search.search({ query: 'apixaban renal', mode: 'KEYWORD' });
    expect(after!.id).not.toBe(before!.id);
    expect((await knowledge.service.database.query<{ id: string }>(sql`select id from knowledge.chunks where document_id = ${before!.documentId}`)).map((row) => row.id)).toEqual([after!.id]);
  });

  it('does not keep a HYBRID answer made without its semantic half', async () => {
    const question = 'apixaban twice daily criteria';
    fake.behaviour = { embeddingsFailStatus: 503 };
    try {
      expect(await documentsFound(knowledge, question)).toContain('Apixaban');
    } finally {
      fake.behaviour = {};
    }
    const embeddings = fakeEmbeddingStats(fake).texts;
    const hits = await lookups(knowledge, 'search');
    await knowledge.service.search.search({ query: question });
    // Asked again with the provider back: searched (and embedded) anew, not the keyword-only answer.
    expect(fakeEmbeddingStats(fake).texts).toBe(embeddings + 1);
    expect((await lookups(knowledge, 'search')).miss).toBe(hits.miss + 1);
  });

  it('leaves invalid input to search, which names the field', async () => {
    await expect(knowledge.service.search.search({ query: 'apixaban', limit: 0 })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'limit' } });
  });
});

describe('search cache with its own Redis', () => {
  let redis: TestRedisServer;
  let knowledge: TestKnowledge;
  beforeAll(async () => {
    redis = await startRedisServer();
    knowledge = await start({ redisUrl: redis.url });
    await addDocument(knowledge, 'Heparin', 'Unfractionated heparin is monitored by aPTT; protamine reverses it.');
    await addDocument(knowledge, 'Enoxaparin', 'Enoxaparin dose is 1 mg/kg twice daily; adjust in renal impairment.');
  });
  afterAll(async () => {
    // The service first, so it closes its connections to a live Redis.
    await knowledge?.stop();
    await redis?.stop();
  });

  it('stays correct while Redis is away, and caches again in memory', async () => {
    const question = 'heparin enoxaparin monitoring dose';
    expect((await documentsFound(knowledge, question)).sort()).toEqual(['Enoxaparin', 'Heparin']);
    await redis.kill();
    const before = await lookups(knowledge, 'search');
    expect((await documentsFound(knowledge, question)).sort()).toEqual(['Enoxaparin', 'Heparin']);
    const heparin = (await knowledge.service.search.search({ query: 'protamine', mode: 'KEYWORD' }))[0]!.documentId;
    expect(await knowledge.service.ingestion.remove(heparin)).toBe(true);
    expect(await documentsFound(knowledge, question)).toEqual(['Enoxaparin']);
    expect(await documentsFound(knowledge, question)).toEqual(['Enoxaparin']);
    const after = await lookups(knowledge, 'search');
    expect(after.memory_hit - before.memory_hit).toBe(2);
    await redis.start();
    await expect.poll(() => knowledge.service.server.metrics.registry.getSingleMetricAsString('dependency_up'), { timeout: 10_000 }).toMatch(/dependency="redis"[^}]*\} 1/);
    expect(await documentsFound(knowledge, question)).toEqual(['Enoxaparin']);
  });
});

describe.skipIf(!testEnv.DATABASE_URL)('search cache on two instances sharing Redis and the database (skipped without DATABASE_URL: PGlite is one process’s)', () => {
  let redis: TestRedisServer;
  let first: TestKnowledge;
  let second: TestKnowledge;
  beforeAll(async () => {
    redis = await startRedisServer();
    const namespace = `cache-${Math.random().toString(36).slice(2)}`;
    first = await start({ redisUrl: redis.url, namespace });
    second = await start({ redisUrl: redis.url, namespace, database: first.database });
    await addDocument(first, 'Alteplase', 'Alteplase dose for ischaemic stroke is 0.9 mg/kg, 10% as a bolus.');
    await addDocument(first, 'Tenecteplase', 'Tenecteplase for stroke is given as a single bolus of 0.25 mg/kg.');
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await redis?.stop();
  });

  it('shares results through Redis, and drops them on the other instance when a document is deleted', async () => {
    const question = 'thrombolysis stroke bolus dose';
    expect((await documentsFound(first, question)).sort()).toEqual(['Alteplase', 'Tenecteplase']);
    const shared = await lookups(second, 'search');
    expect((await documentsFound(second, question)).sort()).toEqual(['Alteplase', 'Tenecteplase']);
    expect((await lookups(second, 'search')).redis_hit).toBe(shared.redis_hit + 1);

    const seen = await invalidationsSeen(second);
    const tenecteplase = (await first.service.search.search({ query: 'tenecteplase', mode: 'KEYWORD' }))[0]!.documentId;
    expect(await first.service.ingestion.remove(tenecteplase)).toBe(true);
    await expect.poll(() => invalidationsSeen(second), { timeout: 5_000 }).toBeGreaterThan(seen);
    expect(await documentsFound(second, question)).toEqual(['Alteplase']);
  });

  it('never serves a deleted document from the other instance’s memory while Redis is away', async () => {
    const question = 'alteplase ischaemic stroke';
    expect(await documentsFound(second, question)).toEqual(['Alteplase']);
    expect(await documentsFound(second, question)).toEqual(['Alteplase']);
    await redis.kill();
    const alteplase = (await first.service.search.search({ query: 'alteplase', mode: 'KEYWORD' }))[0]!.documentId;
    expect(await first.service.ingestion.remove(alteplase)).toBe(true);
    // No invalidation can reach the second instance now; the index version in the database does.
    expect(await documentsFound(second, question)).toEqual([]);
    await redis.start();
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { createHashedEmbeddingProvider, type EmbeddingProvider } from '@voiceassist/ai';
import { formatNumber, percentile, type Benchmark } from '@voiceassist/benchmarks';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { prng } from '@voiceassist/testkit/prng';
import { startRedisServer } from '@voiceassist/testkit/redis-server';
import { createTestDatabase } from '@voiceassist/testkit/database';
import { testEnv } from '@voiceassist/testkit/env';
import type { CacheLookup, CacheName } from './search-cache.js';
import type { SearchMode } from './search.js';
import { createKnowledgeService, knowledgeEnvSchema, type KnowledgeService } from './service.js';
import { CLINICAL_PASSAGES, CLINICAL_QUESTIONS } from './testing/clinical-corpus.js';

// A repeated-question workload against the knowledge service, with the search cache off and on,
// in one run over the same PGlite database (pgvector): the corpus' 38 clinical passages plus
// synthetic guideline text, ingested once through the service. With DATABASE_URL, the same on two
// replicas sharing a PostgreSQL database, questions alternating between them. Questions: 70 % from the corpus'
// 43 clinician questions, Zipf-distributed (a few are asked most), 30 % one-off questions never
// asked twice; 85 % HYBRID with 5 passages (what a reply's retrieval asks), 15 % KEYWORD with 10
// (a search page). Every `CHURN_EVERY` questions an admin adds a document, which invalidates every
// cached result (embeddings survive). Counted per question: database round trips (statements and
// transactions the service sends) and embedding provider calls.
const logger = createLogger({ service: 'knowledge-bench', level: 'silent' });
const CHURN_EVERY = 250;
/** A hosted embedding API's round trip, for the second pair of runs (the embedded model takes ~0 ms). */
const HOSTED_EMBEDDING_MS = 40;

const clinicalWords = [...new Set(CLINICAL_PASSAGES.flatMap((p) => p.text.toLowerCase().match(/[a-z][a-z-]{3,}/g) ?? []))];

/** Guideline-like filler: sentences of clinical words, so keyword and vector search both have work. */
function syntheticDocument(next: () => number, paragraphs: number): string {
  const word = () => clinicalWords[Math.floor(next() * clinicalWords.length)]!;
  const sentence = () => `${Array.from({ length: 8 + Math.floor(next() * 10) }, word).join(' ')}.`;
  return Array.from({ length: paragraphs }, () => Array.from({ length: 4 }, sentence).join(' ')).join('\n\n');
}

interface Question {
  query: string;
  mode: SearchMode;
  limit: number;
}

/** The same sequence for every run: seeded, with one-off questions unique to the workload. */
function workload(count: number): Question[] {
  const next = prng(24);
  // Zipf (s = 1) over the question pool: rank r is asked with weight 1/r.
  const weights = CLINICAL_QUESTIONS.map((_, r) => 1 / (r + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const pick = () => {
    let x = next() * total;
    for (const [r, w] of weights.entries()) if ((x -= w) <= 0) return CLINICAL_QUESTIONS[r]!.question;
    return CLINICAL_QUESTIONS[0]!.question;
  };
  return Array.from({ length: count }, (_, i) => {
    const query = next() < 0.7 ? pick() : `what about ${Array.from({ length: 4 }, () => clinicalWords[Math.floor(next() * clinicalWords.length)]!).join(' ')} (${i})`;
    return next() < 0.85 ? { query, mode: 'HYBRID', limit: 5 } : { query, mode: 'KEYWORD', limit: 10 };
  });
}

/** The embedded model, counted, and slowed to a hosted API's round trip when asked. */
function countedEmbedder(delayMs: () => number) {
  const inner = createHashedEmbeddingProvider();
  const counts = { calls: 0 };
  const embedder: EmbeddingProvider = {
    model: inner.model,
    dimension: inner.dimension,
    async embed(texts) {
      counts.calls += 1;
      if (delayMs()) await sleep(delayMs());
      return inner.embed(texts);
    },
  };
  return { embedder, counts };
}

/** Database round trips the service sends: every statement outside a transaction, and each transaction. */
function countRoundTrips(service: KnowledgeService) {
  const counts = { roundTrips: 0 };
  const db = service.database.db;
  const execute = db.execute.bind(db);
  const transaction = db.transaction.bind(db);
  db.execute = ((...args: Parameters<typeof execute>) => {
    counts.roundTrips += 1;
    return execute(...args);
  }) as typeof db.execute;
  db.transaction = ((...args: Parameters<typeof transaction>) => {
    counts.roundTrips += 1;
    return transaction(...args);
  }) as typeof db.transaction;
  return counts;
}

/** Hit rate over every instance's /metrics counts. */
async function hitRate(services: KnowledgeService[], cache: CacheName) {
  const counts: Record<CacheLookup, number> = { memory_hit: 0, redis_hit: 0, miss: 0 };
  for (const service of services) {
    const metric = await service.server.metrics.registry.getSingleMetric('knowledge_cache_lookups_total')!.get();
    for (const { labels, value } of metric.values) if (labels.cache === cache) counts[labels.result as CacheLookup] += value;
  }
  const all = counts.memory_hit + counts.redis_hit + counts.miss;
  if (all === 0) return 'n/a';
  const share = (n: number) => `${formatNumber((100 * n) / all, 1)} %`;
  return counts.redis_hit ? `${share(counts.memory_hit + counts.redis_hit)} (Redis ${share(counts.redis_hit)})` : share(counts.memory_hit);
}

interface Run {
  label: string;
  cache: boolean;
  redisUrl?: string;
  embeddingMs: number;
}

/** Where the instances keep their data: a PGlite folder (one instance at a time) or a PostgreSQL database (replicas). */
type Storage = { dataDir: string } | { databaseUrl: string };

/** The questions in order, round-robin over `instances` replicas sharing the storage (and Redis, when the run has it). */
async function runWorkload(storage: Storage, run: Run, questions: Question[], runIndex: number, instances = 1) {
  let delay = 0;
  const { embedder, counts: embeddings } = countedEmbedder(() => delay);
  const env = loadEnv(knowledgeEnvSchema, {
    NODE_ENV: 'production',
    ...(run.cache ? {} : { KNOWLEDGE_SEARCH_CACHE_MAX_BYTES: '0', KNOWLEDGE_EMBEDDING_CACHE_MAX_BYTES: '0' }),
  });
  const services: KnowledgeService[] = [];
  try {
    for (let n = 0; n < instances; n++) {
      const service = await createKnowledgeService({ env, logger, infra: { ...storage, redisUrl: run.redisUrl, namespace: `bench-${runIndex}` }, embedder });
      services.push(service);
      await service.server.listen(0, '127.0.0.1');
    }
    const databases = services.map(countRoundTrips);
    const roundTripsNow = () => databases.reduce((sum, counts) => sum + counts.roundTrips, 0);
    const latencies: number[] = [];
    let roundTrips = 0;
    let embeddingCalls = 0;
    delay = run.embeddingMs;
    const next = prng(runIndex + 1);
    for (const [i, question] of questions.entries()) {
      if (i > 0 && i % CHURN_EVERY === 0) {
        // An admin adds a guideline: indexing (not timed, not counted) commits new passages.
        delay = 0;
        await services[0]!.ingestion.ingest({ title: `Update ${runIndex}-${i}`, mimeType: 'text/plain', text: `Run ${runIndex} update ${i}.\n\n${syntheticDocument(next, 6)}` }, null);
        await services[0]!.ingestion.idle();
        delay = run.embeddingMs;
      }
      const [trips, calls] = [roundTripsNow(), embeddings.calls];
      const started = performance.now();
      await services[i % services.length]!.search.search(question);
      latencies.push(performance.now() - started);
      roundTrips += roundTripsNow() - trips;
      embeddingCalls += embeddings.calls - calls;
    }
    latencies.sort((a, b) => a - b);
    return [
      run.label,
      run.embeddingMs ? `${run.embeddingMs} ms` : 'embedded (~0 ms)',
      await hitRate(services, 'search'),
      await hitRate(services, 'embedding'),
      formatNumber(percentile(latencies, 50)),
      formatNumber(percentile(latencies, 95)),
      formatNumber(roundTrips / questions.length),
      formatNumber(embeddingCalls / questions.length, 3),
    ];
  } finally {
    for (const service of services) await service.close();
  }
}

/** The corpus, once: indexed through the service, then opened by every run. Returns the passage count. */
async function indexCorpus(storage: Storage, quick: boolean): Promise<number> {
  const { embedder } = countedEmbedder(() => 0);
  const setup = await createKnowledgeService({ env: loadEnv(knowledgeEnvSchema, { NODE_ENV: 'production' }), logger, infra: storage, embedder });
  await setup.server.listen(0, '127.0.0.1');
  try {
    const next = prng(7);
    for (const passage of CLINICAL_PASSAGES) await setup.ingestion.ingest({ title: passage.title, mimeType: 'text/plain', text: passage.text }, null);
    for (let i = 0; i < (quick ? 10 : 20); i++) await setup.ingestion.ingest({ title: `Synthetic guideline ${i}`, mimeType: 'text/plain', text: syntheticDocument(next, 40) }, null);
    await setup.ingestion.idle();
    const [{ count } = { count: 0 }] = await setup.database.query<{ count: number }>(sql`select count(*)::int as count from knowledge.chunks`);
    return count;
  } finally {
    await setup.close();
  }
}

const COLUMNS = ['cache', 'embedding latency', 'search hit rate', 'embedding hit rate', 'p50 ms', 'p95 ms', 'DB round trips / question', 'embedding calls / question'];

const bench: Benchmark = async ({ quick }) => {
  const questionCount = quick ? 400 : 1000;
  const questions = workload(questionCount);
  const distinct = new Set(questions.map((q) => JSON.stringify(q))).size;
  const dataDir = await mkdtemp(join(tmpdir(), 'knowledge-cache-bench-'));
  const redis = await startRedisServer();
  const postgres = testEnv.DATABASE_URL ? await createTestDatabase() : undefined;
  try {
    const count = await indexCorpus({ dataDir }, quick);
    const runs: Run[] = [
      { label: 'off', cache: false, embeddingMs: 0 },
      { label: 'memory', cache: true, embeddingMs: 0 },
      { label: 'memory + Redis', cache: true, redisUrl: redis.url, embeddingMs: 0 },
      { label: 'off', cache: false, embeddingMs: HOSTED_EMBEDDING_MS },
      { label: 'memory', cache: true, embeddingMs: HOSTED_EMBEDDING_MS },
    ];
    const rows: Array<Array<string | number>> = [];
    for (const [i, run] of runs.entries()) rows.push(await runWorkload({ dataDir }, run, questions, i));
    const tables = [{ caption: `One instance, PGlite (pgvector), ${count} passages`, columns: COLUMNS, rows }];
    if (postgres?.url) {
      // Replicas need a database both can open: PostgreSQL (DATABASE_URL), exact vector scan.
      const storage = { databaseUrl: postgres.url };
      const replicated = await indexCorpus(storage, quick);
      const replicaRuns: Run[] = [
        { label: 'off', cache: false, embeddingMs: 0 },
        { label: 'memory (each replica its own)', cache: true, embeddingMs: 0 },
        { label: 'memory + Redis (shared)', cache: true, redisUrl: redis.url, embeddingMs: 0 },
      ];
      const replicaRows: Array<Array<string | number>> = [];
      for (const [i, run] of replicaRuns.entries()) replicaRows.push(await runWorkload(storage, run, questions, runs.length + i, 2));
      tables.push({ caption: `Two replicas, questions alternating, PostgreSQL (exact scan), ${replicated} passages`, columns: COLUMNS, rows: replicaRows });
    }
    return {
      title: 'Knowledge search cache: repeated questions with and without it',
      notes: [
        `${questionCount} questions, ${distinct} distinct (question, mode, limit); a new document every ${CHURN_EVERY} questions (invalidates cached results).`,
        'Latency is the knowledge service\'s search call in process (no HTTP or GraphQL), sequential; round trips and embedding calls are per question.',
        `Rows with an embedding latency slow each embedding call by it, as a hosted embedding API would. Redis is a private redis-server on loopback.`,
        'Embeddings are looked up only when the search result missed (after an invalidation, or the same question with another mode or limit), hence their lower hit rate.',
        postgres ? 'Replicas: DATABASE_URL is set.' : 'Replicas: set DATABASE_URL (PostgreSQL) for the two-replica table.',
        'One process on the project machine (2 cores, shared).',
      ],
      tables,
    };
  } finally {
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
    await postgres?.drop();
  }
};

export default bench;

import { envVar, loadEnv, z } from '@voiceassist/env';

/** A comma-separated list of known names, e.g. `apollo,native`; anything else is refused at start. */
const namesList = <const T extends readonly [string, ...string[]]>(names: T, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) => value.split(',').map((name) => name.trim()).filter(Boolean))
    .pipe(z.array(z.enum(names)).min(1));

const numberList = z
  .string()
  .transform((value) => value.split(',').map((n) => Number(n.trim())))
  .pipe(z.array(z.number().int().positive()).min(1));

/**
 * What `pnpm bench` reads from its environment, validated once: which parts the benchmarks
 * measure, and whether the services they start use PostgreSQL and Redis (else PGlite and
 * in-process pub/sub).
 */
export const benchEnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  DATABASE_URL: envVar.url(),
  REDIS_URL: envVar.url(),
  /** `pnpm bench gateway` / `signed-in`: the router's engines to measure (`native-nodedup`: deduplication off). */
  GATEWAY_BENCH_ENGINES: namesList(['apollo', 'native', 'native-nodedup'], 'native'),
  /** `pnpm bench subscriptions`: the tables to run. */
  SUBSCRIPTIONS_BENCH_PARTS: namesList(['streams', 'broadcast', 'entity', 'memory'], 'streams,broadcast,entity,memory'),
  /** `pnpm bench search`: passage counts, and ef_search values compared on one HNSW graph (`none` skips pgvector). */
  KNOWLEDGE_BENCH_SIZES: numberList.optional(),
  KNOWLEDGE_BENCH_EF: z.union([z.literal('none'), numberList]).optional(),
  /** `m,efConstruction` of the HNSW graph. */
  KNOWLEDGE_BENCH_HNSW: numberList.pipe(z.array(z.number()).length(2)).optional(),
});

export const benchEnv = loadEnv(benchEnvSchema);

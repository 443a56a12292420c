import { afterAll } from 'vitest';
import type { EmbeddingProvider } from '@voiceassist/ai';
import { loadEnv } from '@voiceassist/env';
import { createLogger, type Logger } from '@voiceassist/logging';
import { createTestDatabase, type TestDatabase } from '@voiceassist/testkit/database';
import { testEnv } from '@voiceassist/testkit/env';
import { createKnowledgeService, knowledgeEnvSchema, type KnowledgeService } from '../service.js';

export interface TestKnowledge {
  service: KnowledgeService;
  database: TestDatabase;
  /** Stops the service; the database is kept (for a second instance) until drop(). */
  stop(): Promise<void>;
  drop(): Promise<void>;
}

/**
 * The knowledge service of a test, without the router: a fresh PostgreSQL database when
 * DATABASE_URL is set (and Redis with REDIS_URL), else in-memory PGlite (on disk with
 * `reopenable`). Pass `database` to start a second instance on the same database: a replica on
 * PostgreSQL, a restart on PGlite (one process may hold its folder at a time); `redisUrl` another
 * Redis (null: none).
 */
export async function startTestKnowledge(
  options: { env?: Record<string, string>; database?: TestDatabase; reopenable?: boolean; logger?: Logger; embedder?: EmbeddingProvider; namespace?: string; redisUrl?: string | null } = {},
): Promise<TestKnowledge> {
  const database = options.database ?? (await createTestDatabase(undefined, { reopenable: options.reopenable ?? false }));
  const env = loadEnv(knowledgeEnvSchema, { NODE_ENV: 'test', ...options.env });
  const service = await createKnowledgeService({
    env,
    logger: options.logger ?? createLogger({ service: 'knowledge', level: testEnv.TEST_LOG_LEVEL }),
    infra: {
      databaseUrl: database.url,
      dataDir: database.dataDir,
      redisUrl: options.redisUrl === undefined ? testEnv.REDIS_URL : (options.redisUrl ?? undefined),
      namespace: options.namespace ?? `test-${Math.random().toString(36).slice(2)}`,
    },
    ...(options.embedder ? { embedder: options.embedder } : {}),
  });
  // Apollo must have started before the server can be closed.
  await service.server.listen(0, '127.0.0.1');
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= service.close());
  return {
    service,
    database,
    stop,
    async drop() {
      await stop();
      await database.drop();
    },
  };
}

/** A suite's way to start instances: each is stopped and its database dropped after the suite, latest first. */
export function knowledgeStarter(defaults: () => Parameters<typeof startTestKnowledge>[0] = () => ({})) {
  const started: TestKnowledge[] = [];
  afterAll(async () => {
    for (const knowledge of started.reverse()) await knowledge.drop().catch(() => {});
  });
  return async (options: Parameters<typeof startTestKnowledge>[0] = {}) => {
    const base = defaults();
    const knowledge = await startTestKnowledge({ ...base, ...options, env: { ...base?.env, ...options.env } });
    started.push(knowledge);
    return knowledge;
  };
}

/** The vector backends this machine can run: pgvector needs PGlite or a Postgres with the extension. */
export function vectorBackendsHere(): Array<'pgvector' | 'exact'> {
  return testEnv.DATABASE_URL ? ['exact'] : ['pgvector', 'exact'];
}

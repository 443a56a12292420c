import { envVar, loadEnv, z } from '@voiceassist/env';

/**
 * What the test kit reads from its environment, validated once: CI sets DATABASE_URL and
 * REDIS_URL to run every suite on PostgreSQL and Redis (QDRANT_URL adds Qdrant to the vector index tests); TEST_LOG_LEVEL shows service logs;
 * PATH is handed to services a test runs as child processes (the speech tools live on it);
 * PROPERTY_TEST_SEED replays a property test's run (each prints the seed it used);
 * TEST_ROUTER_ENGINE / TEST_QUERY_PLANNER run every suite's router on that engine and planner.
 */
export const testEnv = loadEnv(
  z.object({
    DATABASE_URL: envVar.url(),
    REDIS_URL: envVar.url(),
    QDRANT_URL: envVar.url(),
    TEST_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('silent'),
    PATH: z.string().default('/usr/local/bin:/usr/bin:/bin'),
    PROPERTY_TEST_SEED: z.coerce.number().int().nonnegative().optional(),
    TEST_ROUTER_ENGINE: z.enum(['apollo', 'native']).optional(),
    TEST_QUERY_PLANNER: z.enum(['hive', 'apollo']).optional(),
  }),
);

/**
 * The engine and planner of every router a test starts, the router's own defaults when unset:
 * the test kit's routers use it, and so do tests that call createRouter themselves.
 */
export const testRouterEngine: { engine?: 'apollo' | 'native'; queryPlanner?: 'hive' | 'apollo' } = {
  ...(testEnv.TEST_ROUTER_ENGINE ? { engine: testEnv.TEST_ROUTER_ENGINE } : {}),
  ...(testEnv.TEST_QUERY_PLANNER ? { queryPlanner: testEnv.TEST_QUERY_PLANNER } : {}),
};

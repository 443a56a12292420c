import { envVar, loadEnv, z } from '@voiceassist/env';

/**
 * What the test kit reads from its environment, validated once: CI sets DATABASE_URL and
 * REDIS_URL to run every suite on PostgreSQL and Redis; TEST_LOG_LEVEL shows service logs;
 * PATH is handed to services a test runs as child processes (the speech tools live on it);
 * PROPERTY_TEST_SEED replays a property test's run (each prints the seed it used);
 * ROUTER_ENGINE picks the router's query engine the conformance suites run against.
 */
export const testEnv = loadEnv(
  z.object({
    DATABASE_URL: envVar.url(),
    REDIS_URL: envVar.url(),
    TEST_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('silent'),
    PATH: z.string().default('/usr/local/bin:/usr/bin:/bin'),
    PROPERTY_TEST_SEED: z.coerce.number().int().nonnegative().optional(),
    ROUTER_ENGINE: z.enum(['apollo', 'native']).default('apollo'),
  }),
);

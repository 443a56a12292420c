import { fileURLToPath } from 'node:url';
import { createAccessTokenVerifier, createSessionRevocations, syncFromIdentity } from '@voiceassist/auth';
import { serviceHttpOptions } from '@voiceassist/service-endpoints';
import type { Logger } from '@voiceassist/logging';
import { createMemoryRateLimiter, createRedisRateLimiter } from '@voiceassist/rate-limit';
import { createRedis, RedisAvailability } from '@voiceassist/redis';
import { createTrustedOperations, readTrustedOperations } from './edge/trusted-operations.js';
import { subgraphUrlOverrides, type RouterEnv } from './env.js';
import { createRouter } from './create-router.js';
import type { Router } from './router-options.js';
import { defaultSupergraphPath, readSupergraph } from './supergraph.js';

export const defaultTrustedOperationsPath = fileURLToPath(new URL('../../schema/trusted-operations.json', import.meta.url));
/** Where `pnpm --filter @voiceassist/console build` writes the console (served under /console). */
export const defaultConsoleDir = fileURLToPath(new URL('../../composition/console/dist', import.meta.url));

/** The router as configured by its environment: used by `index.ts` and by `pnpm start`. */
export function createRouterFromEnv(env: RouterEnv, logger: Logger): Router {
  const revocations = createSessionRevocations({ redisUrl: env.REDIS_URL, logger, sync: syncFromIdentity(env) });
  const redisAvailability = new RedisAvailability();
  const redis = env.REDIS_URL ? createRedis({ url: env.REDIS_URL, connectionName: 'router-rate-limits', availability: redisAvailability }) : undefined;
  const production = env.NODE_ENV === 'production';
  const supergraphPath = env.SUPERGRAPH_PATH ?? defaultSupergraphPath;
  return createRouter({
    supergraphSdl: readSupergraph(supergraphPath),
    supergraphPath,
    watchSupergraph: env.SUPERGRAPH_WATCH,
    subgraphUrls: subgraphUrlOverrides(env),
    verifier: createAccessTokenVerifier({ keys: { jwksUrl: env.JWKS_URL }, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, revocations, maxLifetimeSeconds: env.ACCESS_TOKEN_MAX_LIFETIME_SECONDS }),
    revocations,
    logger,
    corsOrigins: env.CORS_ORIGINS,
    ...serviceHttpOptions(env),
    apolloTelemetry: !env.APOLLO_TELEMETRY_DISABLED,
    introspection: env.ROUTER_INTROSPECTION ?? !production,
    landingPage: env.ROUTER_SANDBOX ?? !production,
    bodyLimitBytes: env.ROUTER_BODY_LIMIT_BYTES,
    subgraphTimeoutMs: env.SUBGRAPH_TIMEOUT_MS,
    subgraphHealthIntervalMs: env.ROUTER_SUBGRAPH_HEALTH_INTERVAL_MS,
    engine: env.ROUTER_ENGINE,
    queryPlanner: env.ROUTER_QUERY_PLANNER,
    deduplicateQueries: env.ROUTER_DEDUPLICATE_QUERIES,
    queryPlanCacheSize: env.ROUTER_QUERY_PLAN_CACHE_SIZE,
    consoleDir: defaultConsoleDir,
    // Without Redis, rate limits count per router instance.
    degradable: redis ? { redis: redisAvailability } : {},
    subscriptionLimits: {
      maxPerUser: env.SUBSCRIPTIONS_MAX_PER_USER,
      maxTotal: env.SUBSCRIPTIONS_MAX_TOTAL,
      maxBufferedEvents: env.SUBSCRIPTIONS_MAX_BUFFERED_EVENTS,
    },
    sseKeepAliveMs: env.SUBSCRIPTIONS_SSE_KEEPALIVE_MS,
    edge: {
      limits: {
        maxDepth: env.ROUTER_MAX_DEPTH,
        maxAliases: env.ROUTER_MAX_ALIASES,
        maxRootFields: env.ROUTER_MAX_ROOT_FIELDS,
        maxTokens: env.ROUTER_MAX_TOKENS,
        maxDirectives: env.ROUTER_MAX_DIRECTIVES,
        maxCost: env.ROUTER_MAX_COST,
        defaultListSize: env.ROUTER_DEFAULT_LIST_SIZE,
      },
      maxVariablesDepth: env.ROUTER_MAX_VARIABLES_DEPTH,
      maxBatchSize: env.ROUTER_MAX_BATCH_SIZE,
      rateLimits: {
        limiter: redis ? createRedisRateLimiter(redis) : createMemoryRateLimiter(),
        perClientPerMinute: env.RATE_LIMIT_PER_MINUTE,
        globalPerMinute: env.RATE_LIMIT_GLOBAL_PER_MINUTE,
      },
      trustedOperations: createTrustedOperations(env.TRUSTED_OPERATIONS_MODE, readTrustedOperations(env.TRUSTED_OPERATIONS_PATH ?? defaultTrustedOperationsPath)),
      hsts: env.ROUTER_HSTS,
      compress: true,
    },
    onClose: async () => {
      await Promise.allSettled([revocations.close(), redis?.quit()]);
    },
  });
}

import { createAccessTokenVerifier, createSessionRevocations } from '@voiceassist/auth';
import type { Logger } from '@voiceassist/logging';
import { subgraphUrlOverrides, type RouterEnv } from './env.js';
import { createRouter, type Router } from './router.js';
import { readSupergraph } from './supergraph.js';

/** The router as configured by its environment: used by `index.ts` and by `pnpm start`. */
export function createRouterFromEnv(env: RouterEnv, logger: Logger): Router {
  const revocations = createSessionRevocations({ redisUrl: env.REDIS_URL });
  return createRouter({
    supergraphSdl: readSupergraph(env.SUPERGRAPH_PATH),
    subgraphUrls: subgraphUrlOverrides(env),
    verifier: createAccessTokenVerifier({ keys: { jwksUrl: env.JWKS_URL }, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, revocations }),
    revocations,
    logger,
    corsOrigins: env.CORS_ORIGINS,
    includeStacktrace: env.NODE_ENV === 'development',
    bodyLimitBytes: env.ROUTER_BODY_LIMIT_BYTES,
    subgraphTimeoutMs: env.SUBGRAPH_TIMEOUT_MS,
    subscriptionLimits: {
      maxPerUser: env.SUBSCRIPTIONS_MAX_PER_USER,
      maxTotal: env.SUBSCRIPTIONS_MAX_TOTAL,
      maxBufferedEvents: env.SUBSCRIPTIONS_MAX_BUFFERED_EVENTS,
    },
    onClose: () => revocations.close(),
  });
}

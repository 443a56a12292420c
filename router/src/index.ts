import { createAccessTokenVerifier, createSessionRevocations } from '@voiceassist/auth';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { closeOnSignals } from '@voiceassist/subgraph-server';
import { createRouter, readSupergraph, routerEnvSchema, subgraphUrlOverrides } from './router.js';

const env = loadEnv(routerEnvSchema);
const logger = createLogger({ service: 'router', level: env.LOG_LEVEL });
const revocations = createSessionRevocations({ redisUrl: env.REDIS_URL });
const router = createRouter({
  supergraphSdl: readSupergraph(env.SUPERGRAPH_PATH),
  subgraphUrls: subgraphUrlOverrides(env),
  verifier: createAccessTokenVerifier({ keys: { jwksUrl: env.JWKS_URL }, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, revocations }),
  logger,
  corsOrigins: env.CORS_ORIGINS,
  includeStacktrace: env.NODE_ENV === 'development',
  bodyLimitBytes: env.ROUTER_BODY_LIMIT_BYTES,
  subgraphTimeoutMs: env.SUBGRAPH_TIMEOUT_MS,
  onClose: () => revocations.close(),
});
await router.listen(env.ROUTER_PORT, env.HOST);
closeOnSignals(router.close, logger);

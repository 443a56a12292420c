import { loadEnv } from '@voiceassist/env';
import { createIdentityService, identityEnvSchema } from '@voiceassist/identity';
import { createLogger } from '@voiceassist/logging';
import { createRouterFromEnv, routerEnvSchema } from '@voiceassist/router';
import { closeOnSignals } from '@voiceassist/subgraph-server';

// `pnpm start`: the whole supergraph in one process on embedded defaults (PGlite under .data/,
// in-process pub/sub), or on PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set.
const identityEnv = loadEnv(identityEnvSchema);
const routerEnv = loadEnv(routerEnvSchema);

const identity = await createIdentityService({
  env: identityEnv,
  logger: createLogger({ service: 'identity', level: identityEnv.LOG_LEVEL }),
  infra: { databaseUrl: identityEnv.DATABASE_URL, dataDir: identityEnv.DATA_DIR, redisUrl: identityEnv.REDIS_URL },
});
await identity.server.listen(identityEnv.IDENTITY_PORT, identityEnv.HOST);

const routerLogger = createLogger({ service: 'router', level: routerEnv.LOG_LEVEL });
const router = createRouterFromEnv(routerEnv, routerLogger);
const { url } = await router.listen(routerEnv.ROUTER_PORT, routerEnv.HOST);
routerLogger.info({ sandbox: `${url}/graphql` }, 'supergraph ready: open the URL for Apollo Sandbox');

closeOnSignals(async () => {
  await router.close();
  await identity.close();
}, routerLogger);

import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { createRouterFromEnv, routerEnvSchema } from '@voiceassist/router';
import { subgraphServices } from '@voiceassist/services';
import { parseTrustProxy, type TrustProxy } from '@voiceassist/client-address';
import { closeOnSignals } from '@voiceassist/service-endpoints';
import type { SubgraphService } from '@voiceassist/subgraph-server';
import { infraFromEnv } from '@voiceassist/subgraph-server/run';
import { startTracing } from '@voiceassist/tracing';

// `pnpm start`: the whole supergraph in one process on embedded defaults (PGlite under .data/,
// in-process pub/sub), or on PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set.
const routerEnv = loadEnv(routerEnvSchema);
// One process, one tracer provider: each span names its service in a `service.name` attribute.
const tracing = startTracing(routerEnv, 'voiceassist');
const started: SubgraphService[] = [];
const peers: Record<string, string> = {};
// The router calls the subgraphs on loopback: they trust that hop for the client's address
// (TRUST_PROXY, whatever it says, is the router's: the proxies in front of it). With
// METRICS_PORT set, the router serves metrics there and the subgraphs on the ports after it.
const routerHop = parseTrustProxy('127.0.0.0/8,::1');
for (const [index, definition] of subgraphServices.entries()) {
  const env = loadEnv(definition.envSchema) as never as {
    LOG_LEVEL: 'info';
    HOST: string;
    DATABASE_URL?: string;
    DATA_DIR: string;
    REDIS_URL?: string;
    TRUST_PROXY: TrustProxy;
    METRICS_PORT?: number;
  };
  env.TRUST_PROXY = routerHop;
  if (env.METRICS_PORT) env.METRICS_PORT += index + 1;
  const service = await definition.create({
    env: env as never,
    logger: createLogger({ service: definition.name, level: env.LOG_LEVEL }),
    infra: infraFromEnv(env),
    peers: { ...peers },
  });
  started.push(service);
  const { url } = await service.server.listen(definition.port(env as never), env.HOST);
  peers[definition.name] = `${url}/graphql`;
}

const routerLogger = createLogger({ service: 'router', level: routerEnv.LOG_LEVEL });
const router = createRouterFromEnv(routerEnv, routerLogger);
const { url } = await router.listen(routerEnv.ROUTER_PORT, routerEnv.HOST);
routerLogger.info({ sandbox: `${url}/graphql` }, 'supergraph ready: open the URL for Apollo Sandbox');

closeOnSignals(async () => {
  await router.close();
  for (const service of started.reverse()) await service.close();
  await tracing.shutdown();
}, routerLogger);

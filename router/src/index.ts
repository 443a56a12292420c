import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { closeOnSignals } from '@voiceassist/service-endpoints';
import { startTracing } from '@voiceassist/tracing';
import { createRouterFromEnv, routerEnvSchema } from './router.js';

const env = loadEnv(routerEnvSchema);
const tracing = startTracing(env, 'router');
const logger = createLogger({ service: 'router', level: env.LOG_LEVEL });
const router = createRouterFromEnv(env, logger);
await router.listen(env.ROUTER_PORT, env.HOST);
// SIGHUP re-reads SUPERGRAPH_PATH: the new supergraph serves new requests, or is refused (logged).
process.on('SIGHUP', () => void router.reloadSupergraph());
closeOnSignals(async () => {
  await router.close();
  await tracing.shutdown();
}, logger);

import { loadEnv, type commonEnvShape, type z } from '@voiceassist/env';
import { closeOnSignals } from '@voiceassist/service-endpoints';
import { createLogger } from '@voiceassist/logging';
import { startTracing } from '@voiceassist/tracing';
import type { ServiceInfra, SubgraphService, SubgraphServiceDefinition } from './index.js';

/** What every subgraph's env holds (commonEnvShape), whatever else its schema adds. */
export type CommonEnv = z.infer<z.ZodObject<typeof commonEnvShape>>;

/** Where the env says a service's database and Redis are. */
export function infraFromEnv(env: Pick<CommonEnv, 'DATABASE_URL' | 'DATA_DIR' | 'REDIS_URL'>): ServiceInfra {
  return { databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, redisUrl: env.REDIS_URL };
}

/**
 * A subgraph as its own process (each subgraph's `src/index.ts`): env validated once, tracing,
 * JSON logs, listening on its port; SIGTERM/SIGINT close the service, then flush the traces.
 */
export async function runSubgraph<TEnv extends CommonEnv, TService extends SubgraphService>(definition: SubgraphServiceDefinition<TEnv, TService>): Promise<TService> {
  const env = loadEnv(definition.envSchema) as TEnv;
  const tracing = startTracing(env, definition.name);
  const logger = createLogger({ service: definition.name, level: env.LOG_LEVEL });
  const service = await definition.create({ env, logger, infra: infraFromEnv(env) });
  await service.server.listen(definition.port(env), env.HOST);
  closeOnSignals(async () => {
    await service.close();
    await tracing.shutdown();
  }, logger);
  return service;
}

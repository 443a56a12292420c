import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { closeOnSignals } from '@voiceassist/graphql-http';
import { startTracing } from '@voiceassist/tracing';
import { createFlagsService, flagsEnvSchema } from './service.js';

const env = loadEnv(flagsEnvSchema);
const tracing = startTracing(env, 'flags');
const logger = createLogger({ service: 'flags', level: env.LOG_LEVEL });
const service = await createFlagsService({
  env,
  logger,
  infra: { databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, redisUrl: env.REDIS_URL },
});
await service.server.listen(env.FLAGS_PORT, env.HOST);
closeOnSignals(async () => {
  await service.close();
  await tracing.shutdown();
}, logger);

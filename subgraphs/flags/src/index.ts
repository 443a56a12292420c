import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { closeOnSignals } from '@voiceassist/graphql-http';
import { createFlagsService, flagsEnvSchema } from './service.js';

const env = loadEnv(flagsEnvSchema);
const logger = createLogger({ service: 'flags', level: env.LOG_LEVEL });
const service = await createFlagsService({
  env,
  logger,
  infra: { databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, redisUrl: env.REDIS_URL },
});
await service.server.listen(env.FLAGS_PORT, env.HOST);
closeOnSignals(service.close, logger);

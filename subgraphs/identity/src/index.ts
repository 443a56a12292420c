import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { closeOnSignals } from '@voiceassist/graphql-http';
import { startTracing } from '@voiceassist/tracing';
import { createIdentityService, identityEnvSchema } from './service.js';

const env = loadEnv(identityEnvSchema);
const tracing = startTracing(env, 'identity');
const logger = createLogger({ service: 'identity', level: env.LOG_LEVEL });
const service = await createIdentityService({
  env,
  logger,
  infra: { databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, redisUrl: env.REDIS_URL },
});
await service.server.listen(env.IDENTITY_PORT, env.HOST);
closeOnSignals(async () => {
  await service.close();
  await tracing.shutdown();
}, logger);

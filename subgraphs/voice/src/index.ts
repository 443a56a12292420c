import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { closeOnSignals } from '@voiceassist/graphql-http';
import { startTracing } from '@voiceassist/tracing';
import { createVoiceService, voiceEnvSchema } from './service.js';

const env = loadEnv(voiceEnvSchema);
const tracing = startTracing(env, 'voice');
const logger = createLogger({ service: 'voice', level: env.LOG_LEVEL });
const service = await createVoiceService({
  env,
  logger,
  infra: { databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, redisUrl: env.REDIS_URL },
});
await service.server.listen(env.VOICE_PORT, env.HOST);
closeOnSignals(async () => {
  await service.close();
  await tracing.shutdown();
}, logger);

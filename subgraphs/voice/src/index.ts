import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { closeOnSignals } from '@voiceassist/graphql-http';
import { createVoiceService, voiceEnvSchema } from './service.js';

const env = loadEnv(voiceEnvSchema);
const logger = createLogger({ service: 'voice', level: env.LOG_LEVEL });
const service = await createVoiceService({
  env,
  logger,
  infra: { databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, redisUrl: env.REDIS_URL },
});
await service.server.listen(env.VOICE_PORT, env.HOST);
closeOnSignals(service.close, logger);

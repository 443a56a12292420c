import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { closeOnSignals } from '@voiceassist/graphql-http';
import { startTracing } from '@voiceassist/tracing';
import { conversationEnvSchema, createConversationService } from './service.js';

const env = loadEnv(conversationEnvSchema);
const tracing = startTracing(env, 'conversation');
const logger = createLogger({ service: 'conversation', level: env.LOG_LEVEL });
const service = await createConversationService({
  env,
  logger,
  infra: { databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, redisUrl: env.REDIS_URL },
});
await service.server.listen(env.CONVERSATION_PORT, env.HOST);
closeOnSignals(async () => {
  await service.close();
  await tracing.shutdown();
}, logger);

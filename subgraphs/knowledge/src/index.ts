import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { closeOnSignals } from '@voiceassist/graphql-http';
import { startTracing } from '@voiceassist/tracing';
import { createKnowledgeService, knowledgeEnvSchema } from './service.js';

const env = loadEnv(knowledgeEnvSchema);
const tracing = startTracing(env, 'knowledge');
const logger = createLogger({ service: 'knowledge', level: env.LOG_LEVEL });
const service = await createKnowledgeService({
  env,
  logger,
  infra: { databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, redisUrl: env.REDIS_URL },
});
await service.server.listen(env.KNOWLEDGE_PORT, env.HOST);
closeOnSignals(async () => {
  await service.close();
  await tracing.shutdown();
}, logger);

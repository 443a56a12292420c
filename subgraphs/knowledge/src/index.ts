import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { closeOnSignals } from '@voiceassist/graphql-http';
import { createKnowledgeService, knowledgeEnvSchema } from './service.js';

const env = loadEnv(knowledgeEnvSchema);
const logger = createLogger({ service: 'knowledge', level: env.LOG_LEVEL });
const service = await createKnowledgeService({
  env,
  logger,
  infra: { databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, redisUrl: env.REDIS_URL },
});
await service.server.listen(env.KNOWLEDGE_PORT, env.HOST);
closeOnSignals(service.close, logger);

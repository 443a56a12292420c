import { randomUUID } from 'node:crypto';
import { loadEnv } from '@voiceassist/env';
import { createLogger, type Logger } from '@voiceassist/logging';
import { createTestDatabase, graphqlRequest, type GraphQLResponse } from '@voiceassist/testkit';
import { createVoiceService, voiceEnvSchema, type VoiceService } from '@voiceassist/voice';

export interface VoiceInstance {
  url: string;
  service: VoiceService;
  request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * A voice subgraph of the test's own, reached directly (not through a router), verifying tokens
 * with the identity at `identityUrl`: for configurations a shared supergraph cannot have at
 * once (missing engines, short expiry, another provider). Its own database (PostgreSQL when
 * DATABASE_URL is set); Redis at `redisUrl` in `namespace` (the same one shares a cache).
 */
export async function startVoiceInstance(
  identityUrl: string,
  env: Record<string, string> = {},
  options: { redisUrl?: string | undefined; namespace?: string; logger?: Logger; peers?: Record<string, string> } = {},
): Promise<VoiceInstance> {
  const database = await createTestDatabase();
  const service = await createVoiceService({
    env: loadEnv(voiceEnvSchema, { NODE_ENV: 'test', JWKS_URL: `${identityUrl}/.well-known/jwks.json`, ...env }),
    logger: options.logger ?? createLogger({ service: 'voice', level: 'silent' }),
    infra: { databaseUrl: database.url, redisUrl: options.redisUrl || undefined, namespace: options.namespace ?? `test-${randomUUID()}` },
    peers: options.peers,
  });
  const { url } = await service.server.listen(0, '127.0.0.1');
  return {
    url,
    service,
    request: (query, variables, token) => graphqlRequest(`${url}/graphql`, query, variables, { token }),
    async close() {
      await service.close();
      await database.drop();
    },
  };
}

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { createTestDatabase, type TestDatabase } from '@voiceassist/testkit/database';
import { graphqlRequest } from '@voiceassist/testkit/graphql-client';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';
import { waitUntil } from '@voiceassist/testkit/wait';
import { createIdentityService, identityEnvSchema, type IdentityService } from './service.js';

// identity on a Redis of this test's own, killed: sign-in goes on (its throttle counts in this
// instance's memory), answered at once, and readiness says Redis is away without failing.

const EMAIL = 'outage-admin@example.com';
const PASSWORD = 'correct horse battery staple';
let redis: TestRedisServer;
let target: TestDatabase;
let service: IdentityService;
let url: string;

const login = (password: string) =>
  graphqlRequest<{ login: { accessToken: string } }>(`${url}/graphql`, 'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }', {
    email: EMAIL,
    password,
  });

beforeAll(async () => {
  redis = await startRedisServer();
  target = await createTestDatabase();
  service = await createIdentityService({
    env: loadEnv(identityEnvSchema, { NODE_ENV: 'test', SEED_SUPERADMIN_EMAIL: EMAIL, SEED_SUPERADMIN_PASSWORD: PASSWORD }),
    logger: createLogger({ service: 'identity', level: 'silent' }),
    infra: { databaseUrl: target.url, redisUrl: redis.url, namespace: `identity-outage-${randomUUID()}` },
  });
  url = (await service.server.listen(0, '127.0.0.1')).url;
});

afterAll(async () => {
  await service?.close();
  await target?.drop();
  await redis?.stop();
});

describe('identity while Redis is away', () => {
  it('signs in at once and refuses a wrong password as usual', async () => {
    expect((await login(PASSWORD)).body.data?.login.accessToken).toEqual(expect.any(String));
    await redis.kill();
    await waitUntil(async () => 'degraded' in ((await (await fetch(`${url}/health`)).json()) as object));
    for (const [password, expected] of [
      [PASSWORD, undefined],
      [`${PASSWORD}!`, 'UNAUTHENTICATED'],
    ] as const) {
      const started = performance.now();
      const response = await login(password);
      expect(performance.now() - started).toBeLessThan(500);
      expect(response.body.errors?.[0]?.extensions?.code).toBe(expected);
    }
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'degraded', degraded: ['redis'], checks: { database: 'ok' } });
  });
});

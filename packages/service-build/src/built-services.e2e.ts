import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@voiceassist/testkit/database';
import { testEnv } from '@voiceassist/testkit/env';
import { graphqlRequest } from '@voiceassist/testkit/graphql-client';
import { buildServices, type BuiltServices, type ServiceProcess } from './testing/built-services.js';

// What production runs: every service built by `pnpm build` and started by plain node (no
// tsx), each in its own process, talking over HTTP.

let services: BuiltServices;
let database: TestDatabase;
let routerUrl: string;
const processes: ServiceProcess[] = [];

beforeAll(async () => {
  services = await buildServices();
  database = await createTestDatabase();
  const infra = { ...(database.url ? { DATABASE_URL: database.url } : {}), ...(testEnv.REDIS_URL ? { REDIS_URL: testEnv.REDIS_URL } : {}) };
  const subgraphs = services.folders.filter((folder) => folder !== 'router').map((folder) => folder.split('/')[1]!);
  // Identity first: the others verify tokens with its JWKS.
  const start = async (folder: string, env: Record<string, string>) => {
    const started = await services.start(folder, env);
    processes.push(started);
    return started;
  };
  const identityUrl = (await start('subgraphs/identity', { ...infra, IDENTITY_PORT: '0' })).url;
  const jwks = { JWKS_URL: `${identityUrl}/.well-known/jwks.json` };
  const urls: Record<string, string> = { identity: identityUrl };
  await Promise.all(
    subgraphs
      .filter((name) => name !== 'identity')
      .map(async (name) => (urls[name] = (await start(`subgraphs/${name}`, { ...infra, ...jwks, [`${name.toUpperCase()}_PORT`]: '0' })).url)),
  );
  const subgraphUrls = Object.fromEntries(subgraphs.map((name) => [`${name.toUpperCase()}_URL`, `${urls[name]}/graphql`]));
  routerUrl = (await start('router', { ...infra, ...jwks, ...subgraphUrls, ROUTER_PORT: '0' })).url;
}, 120_000);

afterAll(async () => {
  await services?.close();
  await database?.drop();
});
describe('services built for production', () => {
  it('start with plain node, the router ready and finding every subgraph healthy', async () => {
    const health = (await (await fetch(`${routerUrl}/health`)).json()) as { subgraphs: Record<string, string>; revocations: string };
    expect(health).toMatchObject({ subgraphs: { identity: 'ok', conversation: 'ok', knowledge: 'ok', voice: 'ok', flags: 'ok' }, revocations: 'ok' });
    expect((await fetch(`${routerUrl}/ready`)).status).toBe(200);
  });

  it('register a user and answer who they are through the router', async () => {
    const registered = await graphqlRequest<{ register: { accessToken: string; user: { email: string } } }>(
      `${routerUrl}/graphql`,
      'mutation ($input: RegisterInput!) { register(input: $input) { accessToken user { email } } }',
      { input: { email: 'built@example.com', password: 'correct horse battery staple', displayName: 'Built' } },
    );
    expect(registered.body.errors).toBeUndefined();
    const me = await graphqlRequest<{ me: { email: string } }>(`${routerUrl}/graphql`, '{ me { email } }', {}, { token: registered.body.data!.register.accessToken });
    expect(me.body.data?.me.email).toBe('built@example.com');
  });

  // Last: it stops them. A clean stop is exit code 0 (a supervisor counts 143 as a crash).
  it('stop cleanly on SIGTERM: the router first, then each subgraph, every one exiting with code 0', async () => {
    const router = processes.find((started) => started.folder === 'router')!;
    for (const service of [router, ...processes.filter((started) => started !== router)]) {
      await service.stop('SIGTERM');
      expect({ folder: service.folder, exitCode: service.child.exitCode, signal: service.child.signalCode }).toEqual({ folder: service.folder, exitCode: 0, signal: null });
      expect(service.logTail().join('\n')).toContain('shutting down');
    }
  });
});

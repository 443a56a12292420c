import { randomUUID } from 'node:crypto';
import type { FormattedExecutionResult } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, errorOf, graphqlRequest } from '@voiceassist/testkit';
import { createTestRouter, startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';

// The in-process supergraph (router, identity, flags) on a Redis of this test's own, which it
// flushes, kills and restarts: no revoked token may come back, over HTTP or graphql-ws.
let redis: TestRedisServer;
let supergraph: TestSupergraph;

beforeAll(async () => {
  redis = await startRedisServer();
  supergraph = await startSupergraph({ subgraphs: ['flags'], redisUrl: redis.url });
});
afterAll(async () => {
  await supergraph?.stop();
  await redis?.stop();
});

const PASSWORD = 'violet kettle harbour';
const AUTH = 'accessToken user { id }';

async function signUp(): Promise<{ email: string; first: string; second: string }> {
  const email = `revoked-${randomUUID().slice(0, 8)}@example.com`;
  const registered = await supergraph.request<{ register: { accessToken: string } }>(
    `mutation R($input: RegisterInput!) { register(input: $input) { ${AUTH} } }`,
    { input: { email, password: PASSWORD, displayName: 'Revoked' } },
  );
  const login = await supergraph.request<{ login: { accessToken: string } }>(`mutation L($email: String!, $password: String!) { login(email: $email, password: $password) { ${AUTH} } }`, { email, password: PASSWORD });
  return { email, first: dataOf(registered).register.accessToken, second: dataOf(login).login.accessToken };
}

/** What `me` answers with this token, through the router or straight at a subgraph. */
async function me(token: string, url = supergraph.graphqlUrl): Promise<string> {
  const response = await graphqlRequest<{ me: { id: string } | null }>(url, '{ me { id } }', {}, { token });
  return response.body.errors ? `${response.status} ${errorOf(response).code}` : `${response.status} signed in`;
}

const logoutEverywhere = async (token: string) => dataOf(await supergraph.request<{ logoutEverywhere: boolean }>('mutation { logoutEverywhere }', {}, { token }));

/** A live flags subscription over the router's graphql-ws, recording its events and how it ended. */
function subscribe(token: string) {
  const client = createClient({ url: supergraph.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  const events: Array<FormattedExecutionResult<Record<string, unknown>, unknown>> = [];
  let ended = false;
  client.subscribe(
    { query: 'subscription { flagChanges { kind } }' },
    { next: (event) => events.push(event), error: () => (ended = true), complete: () => (ended = true) },
  );
  return { events, ended: () => ended, close: () => client.dispose() };
}

describe('revoked sessions', () => {
  it('stay revoked after logoutEverywhere, through a Redis flush and a Redis restart, everywhere', async () => {
    const { first, second } = await signUp();
    expect(await me(first)).toBe('200 signed in');
    const live = subscribe(second);
    await expect.poll(() => live.events.length).toBeGreaterThan(0);

    await logoutEverywhere(first);
    expect(await me(first)).toBe('401 UNAUTHENTICATED');
    expect(await me(second)).toBe('401 UNAUTHENTICATED');
    await expect.poll(() => live.ended()).toBe(true);
    expect(live.events.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await live.close();

    await redis.flush();
    expect(await me(first)).toBe('401 UNAUTHENTICATED');
    expect(await me(second, `${supergraph.identity.url}/graphql`)).toBe('401 UNAUTHENTICATED');
    expect(await me(second, `${supergraph.subgraphs.flags!.url}/graphql`)).toBe('401 UNAUTHENTICATED');

    await redis.kill();
    // Answered from memory: refused, and at once rather than after Redis timeouts.
    const started = Date.now();
    expect(await me(first)).toBe('401 UNAUTHENTICATED');
    expect(Date.now() - started).toBeLessThan(500);
    await redis.start();
    expect(await me(first)).toBe('401 UNAUTHENTICATED');
    expect(await me(second, `${supergraph.identity.url}/graphql`)).toBe('401 UNAUTHENTICATED');
  });

  it('made while Redis is down reach the router when Redis is back, ending that session\'s subscriptions', async () => {
    const { first, second } = await signUp();
    const live = subscribe(second);
    await expect.poll(() => live.events.length).toBeGreaterThan(0);

    await redis.kill();
    // identity records it in PostgreSQL and cannot publish it: identity itself refuses at once.
    await logoutEverywhere(first);
    expect(await me(first, `${supergraph.identity.url}/graphql`)).toBe('401 UNAUTHENTICATED');

    await redis.start();
    // Reconnecting, every instance resyncs from identity and learns what pub/sub never carried.
    await expect.poll(() => me(second), { timeout: 10_000 }).toBe('401 UNAUTHENTICATED');
    await expect.poll(() => me(first, `${supergraph.subgraphs.flags!.url}/graphql`), { timeout: 10_000 }).toBe('401 UNAUTHENTICATED');
    await expect.poll(() => live.ended(), { timeout: 10_000 }).toBe(true);
    expect(live.events.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await live.close();
  });

  it("are listed by identity's revocations route, and nothing else is", async () => {
    const { first } = await signUp();
    const sessionOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;
    const route = `${supergraph.identity.url}/revocations`;
    const before = (await (await fetch(route)).json()) as { asOf: number; revocations: Array<{ sessionId: string; keepUntil: number }> };
    expect(before.revocations.map((r) => r.sessionId)).not.toContain(sessionOf(first));
    await logoutEverywhere(first);
    const after = (await (await fetch(`${route}?since=${before.asOf - 1_000}`)).json()) as typeof before;
    const listed = after.revocations.find((r) => r.sessionId === sessionOf(first));
    expect(listed?.keepUntil).toBeGreaterThan(Date.now() + 3_500_000);
    expect((await fetch(`${route}?since=yesterday`)).status).toBe(400);
  });

  it('leave a router that cannot load them ready, naming them syncing in /health, refusing every token', async () => {
    const { first } = await signUp();
    // Nothing listens on port 9 (discard) here: identity is unreachable for this router.
    const lost = createTestRouter({ ...supergraph.target, identityUrl: 'http://127.0.0.1:9' });
    const { url } = await lost.listen(0, '127.0.0.1');
    try {
      const ready = await fetch(`${url}/ready`);
      expect(ready.status).toBe(200);
      expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: 'ok', revocations: 'syncing' });
      expect(await me(first, `${url}/graphql`)).toBe('401 UNAUTHENTICATED');
    } finally {
      await lost.close();
    }
  });
});

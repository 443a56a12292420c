import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, errorOf, graphqlRequest } from '@voiceassist/testkit';
import { createTestRouter, startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import type { Router } from '@voiceassist/router';
import { createTrustedOperations, sha256Hex } from '@voiceassist/router/edge/trusted-operations';

// Input a hostile client sends, through the real router and straight at the subgraphs: text
// PostgreSQL cannot store, unknown persisted-query hashes, variables nested 10,000 deep, and
// subscriptions over plain HTTP. Each is the client's mistake: a 4xx or a coded error, never a 5xx.

let s: TestSupergraph;
let token: string;
const extraRouters: Router[] = [];

beforeAll(async () => {
  s = await startSupergraph({ subgraphs: ['identity', 'knowledge', 'flags'] });
  const registered = await s.request<{ register: { accessToken: string } }>(
    'mutation R($input: RegisterInput!) { register(input: $input) { accessToken } }',
    { input: { email: `hostile-${Date.now()}@example.com`, password: 'violet kettle harbour', displayName: 'Hostile' } },
  );
  token = dataOf(registered).register.accessToken;
  // Three subgraphs (knowledge's search index among them) start here: well over a minute on a loaded machine.
}, 120_000);

afterAll(async () => {
  for (const router of extraRouters) await router.close();
  await s?.stop();
});

/** POSTs a raw body (a string, so nesting JSON.stringify cannot produce travels as sent). */
async function postRaw(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } };
}

const subgraphUrl = (name: string) => `${s.subgraphs[name]!.url}/graphql`;
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('text PostgreSQL cannot store', () => {
  const UPDATE_SETTINGS = 'mutation S($settings: JSON!) { updateSettings(settings: $settings) { settings } }';
  const SEARCH = 'query Q($q: String!) { search(query: $q) { score } }';

  it('is BAD_USER_INPUT naming the argument, through the router and on the subgraph itself, and nothing is stored', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [UPDATE_SETTINGS, { settings: { theme: 'dark\ud800' } }, 'settings.theme'],
      [UPDATE_SETTINGS, { settings: { ['\ud800key']: 'x' } }, 'settings'],
      [UPDATE_SETTINGS, { settings: { nested: { list: ['ok', 'nul\u0000'] } } }, 'settings.nested.list[1]'],
      [UPDATE_SETTINGS, { settings: { theme: '\udc00 trailing alone' } }, 'settings.theme'],
      [SEARCH, { q: '\u0000' }, 'query'],
      [SEARCH, { q: 'tail \ud83d' }, 'query'],
    ];
    for (const [query, variables, field] of cases) {
      const subgraph = query === SEARCH ? 'knowledge' : 'identity';
      for (const url of [s.graphqlUrl, subgraphUrl(subgraph)]) {
        const response = await graphqlRequest(url, query, variables, { token });
        expect(response.status, `${url} ${field}`).toBeLessThan(500);
        expect(errorOf(response).extensions, `${url} ${JSON.stringify(variables)}`).toMatchObject({ code: 'BAD_USER_INPUT', field });
        expect(JSON.stringify(response.body)).not.toMatch(/insert|update|select|stack/i);
      }
    }
    // Inline literals: GraphQL strings may spell NUL as an escape.
    for (const url of [s.graphqlUrl, subgraphUrl('knowledge')]) {
      expect(errorOf(await graphqlRequest(url, '{ search(query: "\\u0000") { score } }', {}, { token })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
    }
    expect(errorOf(await graphqlRequest(s.graphqlUrl, 'mutation { updateSettings(settings: { a: { b: ["\\u0000"] } }) { id } }', {}, { token })).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'settings.a.b[0]',
    });
    // Well-formed text, surrogate pairs (emoji) included, is stored as sent.
    const fine = { theme: 'dark 🌙', note: 'ünïcödé\u200b' };
    expect(dataOf(await graphqlRequest<{ updateSettings: { settings: unknown } }>(s.graphqlUrl, UPDATE_SETTINGS, { settings: fine }, { token })).updateSettings.settings).toMatchObject(fine);
    expect(dataOf(await graphqlRequest<{ me: { settings: unknown } }>(s.graphqlUrl, '{ me { settings } }', {}, { token })).me.settings).toEqual(fine);
  });

  it('is refused in a subscription over WebSocket too', async () => {
    const client = createClient({ url: s.wsUrl, webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    const errors = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: 'subscription S($c: String) { flagChanges(clientId: $c) { version } }', variables: { c: 'a\u0000' } }, { next: () => {}, error: resolve, complete: () => resolve('completed') });
    });
    await client.dispose();
    expect(errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'clientId' }) })]);
  });
});

describe('variables nested deeper than the limit', () => {
  const FLAGS = 'query F($a: JSON) { flags(attributes: $a) { key } }';

  it('are refused before anything walks them, and the router keeps serving', async () => {
    for (const depth of [33, 10_000, 100_000]) {
      const response = await postRaw(s.graphqlUrl, `{"query":${JSON.stringify(FLAGS)},"variables":{"a":${nested(depth)}}}`);
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'attributes', limit: 'variablesDepth', max: 32 });
    }
    // Lists nest too, and input objects count like JSON.
    const lists = await postRaw(s.graphqlUrl, `{"query":${JSON.stringify(FLAGS)},"variables":{"a":${'['.repeat(5_000)}${']'.repeat(5_000)}}}`);
    expect(lists.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'variablesDepth' });
    // At the limit, the value reaches the resolver, which has its own opinion of it.
    const atLimit = await postRaw(s.graphqlUrl, `{"query":${JSON.stringify(FLAGS)},"variables":{"a":${nested(32)}}}`);
    expect(atLimit.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'attributes' });
    expect(atLimit.body.errors?.[0]?.extensions?.limit).toBeUndefined();
    expect((await fetch(`${s.routerUrl}/health`)).status).toBe(200);
    expect(dataOf(await s.request<{ me: { id: string } }>('{ me { id } }', {}, { token })).me.id).toBeTruthy();
  });

  it('are refused by a subgraph reached directly', async () => {
    const response = await postRaw(subgraphUrl('flags'), `{"query":${JSON.stringify(FLAGS)},"variables":{"a":${nested(10_000)}}}`);
    expect(response.status).toBeLessThan(500);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'attributes', limit: 'variablesDepth' });
  });
});

describe('an unknown persisted-query hash', () => {
  const QUERY = '{ flags { key } }';
  const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

  const expectNotFound = async (response: Response) => {
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get('cache-control')).toContain('no-cache');
    expect(await response.json()).toEqual({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });
  };

  it('answers PERSISTED_QUERY_NOT_FOUND as Apollo clients expect, then registers the document they send next', async () => {
    const hash = sha256Hex(QUERY);
    await expectNotFound(await fetch(s.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extensions: apq(hash) }) }));
    await expectNotFound(await fetch(`${s.graphqlUrl}?extensions=${encodeURIComponent(JSON.stringify(apq('f'.repeat(64))))}`));
    // Apollo Client's retry: the document with its hash; then the hash alone works.
    const full = await fetch(s.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY, extensions: apq(hash) }) });
    expect(await full.json()).toEqual({ data: { flags: [] } });
    const byHash = await fetch(s.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extensions: apq(hash) }) });
    expect(await byHash.json()).toEqual({ data: { flags: [] } });
  });

  it('answers the same from a router with a trusted-operations manifest', async () => {
    const router = createTestRouter(s.target, { router: { edge: { trustedOperations: createTrustedOperations('off', { operations: {} }) } } });
    extraRouters.push(router);
    const { url } = await router.listen(0, '127.0.0.1');
    for (const accept of ['application/json', 'application/graphql-response+json']) {
      await expectNotFound(await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ extensions: apq('e'.repeat(64)) }) }));
    }
    // GraphQL over HTTP's documentId is not Apollo's protocol: an unknown one stays a plain input error.
    const byDocumentId = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documentId: 'sha256:' + 'e'.repeat(64) }) });
    expect(byDocumentId.status).toBe(400);
    expect(((await byDocumentId.json()) as { errors: Array<{ extensions: unknown }> }).errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'documentId' });
  });
});

describe('a subscription over plain HTTP', () => {
  const SUBSCRIPTION = 'subscription { flagChanges { version } }';

  it('is a 400 that says how to subscribe, for POST and GET, signed in or not', async () => {
    const responses = [
      await postRaw(s.graphqlUrl, JSON.stringify({ query: SUBSCRIPTION })),
      await postRaw(s.graphqlUrl, JSON.stringify({ query: SUBSCRIPTION }), { authorization: '' }),
      await postRaw(s.graphqlUrl, JSON.stringify({ query: `query Q { flags { key } } ${SUBSCRIPTION.replace('subscription', 'subscription S')}`, operationName: 'S' })),
    ];
    const get = await fetch(`${s.graphqlUrl}?query=${encodeURIComponent(SUBSCRIPTION)}`);
    responses.push({ status: get.status, headers: get.headers, body: (await get.json()) as (typeof responses)[number]['body'] });
    // The flags subgraph reached directly says the same (as a GraphQL-over-HTTP request error).
    responses.push(await postRaw(subgraphUrl('flags'), JSON.stringify({ query: SUBSCRIPTION }), { accept: 'application/graphql-response+json' }));
    for (const response of responses) {
      expect(response.status).toBe(400);
      const [error] = response.body.errors ?? [];
      expect(error?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'query' });
      expect(error?.message).toMatch(/graphql-ws/);
      expect(error?.message).toMatch(/\/graphql/);
      expect(error?.message).toMatch(/connectionParams\.authorization/);
    }
  });
});

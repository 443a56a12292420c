import { randomUUID } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createClient as createSseClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startSupergraph, type TestSupergraph } from '@voiceassist/testkit';

// The in-process supergraph (router, identity, flags): flagChanges over GraphQL over SSE and
// Apollo multipart, with tokens that identity issued and a revocation identity publishes.
let supergraph: TestSupergraph;
/** The first account of a fresh supergraph is its SUPERADMIN: it writes the flags. */
let founder: string;

beforeAll(async () => {
  supergraph = await startSupergraph({ subgraphs: ['flags'] });
  founder = await signUp();
});
afterAll(async () => {
  await supergraph?.stop();
});

const PASSWORD = 'violet kettle harbour';
const CHANGES = 'subscription Changes($keys: [String!]) { flagChanges(keys: $keys) { kind key version } }';

async function signUp(): Promise<string> {
  const registered = await supergraph.request<{ register: { accessToken: string } }>('mutation R($input: RegisterInput!) { register(input: $input) { accessToken } }', {
    input: { email: `http-subs-${randomUUID().slice(0, 8)}@example.com`, password: PASSWORD, displayName: 'HTTP subscriber' },
  });
  return dataOf(registered).register.accessToken;
}

interface Live {
  events: Array<{ kind: string; key: string | null }>;
  ended: { error?: unknown; at?: number } | undefined;
  stop(): void;
}

function overSse(token: string, keys: string[]): Live {
  const client = createSseClient({ url: supergraph.graphqlUrl, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  const live: Live = { events: [], ended: undefined, stop: () => {} };
  live.stop = client.subscribe(
    { query: CHANGES, variables: { keys } },
    {
      next: (result) => {
        const change = (result.data as { flagChanges?: Live['events'][number] } | null | undefined)?.flagChanges;
        if (change) live.events.push(change);
        if (result.errors) live.ended = { error: result.errors };
      },
      error: (error) => (live.ended ??= { error }),
      complete: () => (live.ended ??= {}),
    },
  );
  return live;
}

function overMultipart(token: string, keys: string[]): Live {
  const client = new ApolloClient({ link: new HttpLink({ uri: supergraph.graphqlUrl, headers: { authorization: `Bearer ${token}` } }), cache: new InMemoryCache() });
  const live: Live = { events: [], ended: undefined, stop: () => {} };
  const subscription = client.subscribe<{ flagChanges: Live['events'][number] }>({ query: gql(CHANGES), variables: { keys } }).subscribe({
    next: (result) => {
      if (result.data?.flagChanges) live.events.push(result.data.flagChanges);
      if (result.error) live.ended = { error: result.error };
    },
    error: (error) => (live.ended ??= { error }),
    complete: () => (live.ended ??= {}),
  });
  live.stop = () => subscription.unsubscribe();
  return live;
}

describe.each([
  ['GraphQL over SSE', overSse],
  ['Apollo multipart', overMultipart],
] as const)('flagChanges over %s', (_name, subscribe) => {
  it('streams the snapshot and each change, and ends when the session is revoked', async () => {
    const token = await signUp();
    const key = `http.${randomUUID().slice(0, 8)}`;
    const live = subscribe(token, [key]);
    await expect.poll(() => live.events[0]?.kind, { timeout: 15_000 }).toBe('SNAPSHOT');
    dataOf(await supergraph.request('mutation C($input: CreateFlagInput!) { createFlag(input: $input) { key } }', { input: { key, enabled: true, visibility: 'AUTHENTICATED' } }, { token: founder }));
    await expect.poll(() => live.events.map((e) => `${e.kind} ${e.key}`), { timeout: 15_000 }).toContain(`UPDATED ${key}`);

    dataOf(await supergraph.request('mutation { logoutEverywhere }', {}, { token }));
    await expect.poll(() => live.ended, { timeout: 5_000 }).toBeDefined();
    expect(JSON.stringify(live.ended?.error)).toContain('UNAUTHENTICATED');
    live.stop();
  });
});

import { randomUUID } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createClient as createSseClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf } from '@voiceassist/testkit';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';

// The in-process supergraph (router, identity, flags, conversation): flagChanges and
// messageStream over GraphQL over SSE and Apollo multipart, with tokens that identity issued and
// a revocation identity publishes.
let supergraph: TestSupergraph;
/** The first account of a fresh supergraph is its SUPERADMIN: it writes the flags. */
let founder: string;

beforeAll(async () => {
  supergraph = await startSupergraph({ subgraphs: ['flags', 'conversation'], env: { conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: '1' } } });
  founder = await signUp();
}, 120_000);
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

interface Live<T> {
  /** The `data` of each result, in order. */
  events: T[];
  ended: { error?: unknown } | undefined;
  stop(): void;
}

type Subscribe = <T>(query: string, variables: Record<string, unknown>, token: string) => Live<T>;

const overSse: Subscribe = <T>(query: string, variables: Record<string, unknown>, token: string) => {
  const client = createSseClient({ url: supergraph.graphqlUrl, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  const live: Live<T> = { events: [], ended: undefined, stop: () => {} };
  live.stop = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.data) live.events.push(result.data as T);
        if (result.errors) live.ended = { error: result.errors };
      },
      error: (error) => (live.ended ??= { error }),
      complete: () => (live.ended ??= {}),
    },
  );
  return live;
};

const overMultipart: Subscribe = <T>(query: string, variables: Record<string, unknown>, token: string) => {
  const client = new ApolloClient({ link: new HttpLink({ uri: supergraph.graphqlUrl, headers: { authorization: `Bearer ${token}` } }), cache: new InMemoryCache() });
  const live: Live<T> = { events: [], ended: undefined, stop: () => {} };
  const subscription = client.subscribe<T>({ query: gql(query), variables, fetchPolicy: 'no-cache' }).subscribe({
    next: (result) => {
      if (result.data) live.events.push(result.data as T);
      if (result.error) live.ended = { error: result.error };
    },
    error: (error) => (live.ended ??= { error }),
    complete: () => (live.ended ??= {}),
  });
  live.stop = () => subscription.unsubscribe();
  return live;
};

interface FlagChange {
  flagChanges: { kind: string; key: string | null };
}
interface StreamEvent {
  messageStream: { index: number; delta: string; done: boolean };
}
const STREAM = 'subscription Stream($id: ID!, $after: Int) { messageStream(messageId: $id, afterIndex: $after) { index delta done } }';

describe.each([
  ['GraphQL over SSE', overSse],
  ['Apollo multipart', overMultipart],
] as const)('over %s', (_name, subscribe) => {
  it('streams flagChanges (snapshot, then each change) and ends when the session is revoked', async () => {
    const token = await signUp();
    const key = `http.${randomUUID().slice(0, 8)}`;
    const live = subscribe<FlagChange>(CHANGES, { keys: [key] }, token);
    await expect.poll(() => live.events[0]?.flagChanges.kind, { timeout: 15_000 }).toBe('SNAPSHOT');
    dataOf(await supergraph.request('mutation C($input: CreateFlagInput!) { createFlag(input: $input) { key } }', { input: { key, enabled: true, visibility: 'AUTHENTICATED' } }, { token: founder }));
    await expect.poll(() => live.events.map((e) => `${e.flagChanges.kind} ${e.flagChanges.key}`), { timeout: 15_000 }).toContain(`UPDATED ${key}`);

    dataOf(await supergraph.request('mutation { logoutEverywhere }', {}, { token }));
    await expect.poll(() => live.ended, { timeout: 5_000 }).toBeDefined();
    expect(JSON.stringify(live.ended?.error)).toContain('UNAUTHENTICATED');
    live.stop();
  });

  it("streams a reply's tokens with messageStream, and resumes after an index with afterIndex", async () => {
    const token = await signUp();
    const { createConversation } = dataOf(await supergraph.request<{ createConversation: { id: string } }>('mutation { createConversation(title: "HTTP") { id } }', {}, { token }));
    const { sendMessage } = dataOf(
      await supergraph.request<{ sendMessage: { assistantMessage: { id: string } } }>(
        'mutation S($id: ID!) { sendMessage(conversationId: $id, content: "Tell me about subscriptions") { assistantMessage { id } } }',
        { id: createConversation.id },
        { token },
      ),
    );
    const id = sendMessage.assistantMessage.id;
    const whole = subscribe<StreamEvent>(STREAM, { id }, token);
    await expect.poll(() => whole.ended, { timeout: 20_000 }).toEqual({});
    const events = whole.events.map((e) => e.messageStream);
    expect(events.map((e) => e.index)).toEqual([...events.keys()]);
    expect(events.at(-1)?.done).toBe(true);
    expect(events.length).toBeGreaterThan(2);

    const after = 1;
    const resumed = subscribe<StreamEvent>(STREAM, { id, after }, token);
    await expect.poll(() => resumed.ended, { timeout: 20_000 }).toEqual({});
    expect(resumed.events.map((e) => e.messageStream)).toEqual(events.slice(after + 1));
  });
});

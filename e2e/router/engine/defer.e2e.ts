import { randomUUID } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf } from '@voiceassist/testkit';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';

// @defer through the router's own engine: incremental delivery over multipart/mixed in Apollo's
// `deferSpec=20220824` format for clients that ask for it (Apollo Client's HttpLink), the whole
// answer at once for those that do not. The deferred fields come from another subgraph
// (a user's conversations live in conversation, the user in identity).
let supergraph: TestSupergraph;
let token: string;
let userId: string;

const QUERY = `query Me {
  me {
    id
    ... @defer(label: "chats") {
      conversations(first: 5) { edges { node { title } } }
    }
  }
}`;

beforeAll(async () => {
  supergraph = await startSupergraph({ subgraphs: ['conversation'], router: { engine: 'native' } });
  const registered = await supergraph.request<{ register: { accessToken: string; user: { id: string } } }>(
    'mutation R($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
    { input: { email: `defer-${randomUUID().slice(0, 8)}@example.com`, password: 'violet kettle harbour', displayName: 'Deferring clinician' } },
  );
  ({ accessToken: token, user: { id: userId } } = dataOf(registered).register);
  dataOf(await supergraph.request('mutation { createConversation(title: "Ward round") { id } }', {}, { token }));
}, 120_000);
afterAll(async () => {
  await supergraph?.stop();
});

const deferredConversations = { conversations: { edges: [{ node: { title: 'Ward round' } }] } };

/** The JSON parts of a `multipart/mixed; boundary="-"` body. */
function multipartParts(body: string): unknown[] {
  return body
    .split('\r\n---')
    .map((part) => part.split('\r\n\r\n').slice(1).join('\r\n\r\n').trim())
    .filter((json) => json.length > 0)
    .map((json) => JSON.parse(json) as unknown);
}

/** What Apollo Client's HttpLink sends with a deferring handler. */
const ACCEPT_DEFER = 'multipart/mixed;deferSpec=20220824,application/graphql-response+json,application/json;q=0.9';

function post(accept: string, query = QUERY) {
  return fetch(supergraph.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
}

describe('@defer', () => {
  it('answers the primary fields first, then the deferred ones with their path and label, over multipart/mixed', async () => {
    const response = await post(ACCEPT_DEFER);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('multipart/mixed; boundary="-"; deferSpec=20220824');
    expect(multipartParts(await response.text())).toEqual([
      { data: { me: { id: userId } }, hasNext: true },
      { incremental: [{ data: deferredConversations, path: ['me'], label: 'chats' }], hasNext: false },
    ]);
  });

  it('answers the whole result at once to a client that does not accept multipart/mixed', async () => {
    const response = await post('application/json');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ data: { me: { id: userId, ...deferredConversations } } });
  });

  it('defers nothing when `if` is false, and answers a fragment spread deferred the same way as an inline one', async () => {
    const notDeferred = await post(ACCEPT_DEFER, QUERY.replace('@defer(label: "chats")', '@defer(if: false)'));
    expect(await notDeferred.json()).toEqual({ data: { me: { id: userId, ...deferredConversations } } });
    const spread = await post(
      ACCEPT_DEFER,
      'query { me { id ...Chats @defer } } fragment Chats on User { conversations(first: 5) { edges { node { title } } } }',
    );
    expect(multipartParts(await spread.text())).toEqual([
      { data: { me: { id: userId } }, hasNext: true },
      { incremental: [{ data: deferredConversations, path: ['me'] }], hasNext: false },
    ]);
  });

  it("is read by Apollo Client's HttpLink: the primary fields first, then the whole result", async () => {
    const client = new ApolloClient({
      link: new HttpLink({ uri: supergraph.graphqlUrl, headers: { authorization: `Bearer ${token}` } }),
      cache: new InMemoryCache(),
      incrementalHandler: new Defer20220824Handler(),
    });
    const results = await new Promise<Array<{ data: unknown; dataState: string }>>((resolve, reject) => {
      const seen: Array<{ data: unknown; dataState: string }> = [];
      const subscription = client.watchQuery({ query: gql(QUERY), fetchPolicy: 'no-cache', notifyOnNetworkStatusChange: false }).subscribe({
        next: (result) => {
          if (result.error) reject(result.error);
          if (result.dataState === 'empty') return;
          seen.push({ data: result.data, dataState: result.dataState });
          if (result.dataState === 'complete') {
            subscription.unsubscribe();
            resolve(seen);
          }
        },
        error: reject,
      });
    });
    client.stop();
    expect(results).toEqual([
      { data: { me: { __typename: 'User', id: userId } }, dataState: 'streaming' },
      { data: { me: { __typename: 'User', id: userId, conversations: { __typename: 'ConversationConnection', edges: [{ __typename: 'ConversationEdge', node: { __typename: 'Conversation', title: 'Ward round' } }] } } }, dataState: 'complete' },
    ]);
  });
});

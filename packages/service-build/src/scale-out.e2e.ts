import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import { graphqlRequest } from '@voiceassist/testkit/graphql-client';
import { graphqlWsClient, subscribe } from '@voiceassist/testkit/graphql-ws-client';
import { must, registerAccount, type Account } from './testing/accounts.js';
import { routerSeesEverySubgraph } from './testing/deployment.js';
import { waitUntil, within } from './testing/waiting.js';
import { SIDES, startScaledOut, type ScaledOut, type ScaledService, type Side } from './testing/scaled-out.js';

// Scaled out as in Kubernetes: two routers and two replicas of every subgraph, as built for
// production, on one PostgreSQL database and one Redis. Router a's clients reach side a's
// replicas, router b's side b's, so each check below crosses replicas only through PostgreSQL and
// Redis. Needs PostgreSQL (DATABASE_URL): CI's second pass.

const PASSWORD = 'scale out harbour 42';
/** The embedded provider's pause per token: the reply is still being written when router b's client joins. */
const TOKEN_DELAY_MS = 80;
const FLAG_KEY = 'scaleout.banner';

interface StreamEvent {
  index: number;
  delta: string;
  done: boolean;
  message: { id: string; status: string; content: string } | null;
}
interface FlagChange {
  kind: string;
  key: string | null;
  evaluation: { key: string; enabled: boolean } | null;
  flags: Array<{ key: string; enabled: boolean }> | null;
}

describe.skipIf(!testEnv.DATABASE_URL)('scaled out: two routers, two replicas of every subgraph (skipped without DATABASE_URL: runs on PostgreSQL in CI’s second pass)', () => {
  let scaled: ScaledOut;
  let admin: Account;
  const disposers: Array<() => unknown> = [];

  const graphqlUrl = (side: Side, service: ScaledService = 'router') => `${scaled.urls[side][service]}/graphql`;
  const gql = <T = Record<string, unknown>>(side: Side, query: string, variables: Record<string, unknown> = {}, token?: string) =>
    graphqlRequest<T>(graphqlUrl(side), query, variables, { token });

  function subscribeAt<T>(side: Side, token: string, query: string, variables: Record<string, unknown>) {
    const { client } = graphqlWsClient(graphqlUrl(side).replace(/^http/, 'ws'), token);
    disposers.push(() => client.dispose());
    return subscribe<T>(client, query, variables);
  }

  beforeAll(async () => {
    scaled = await startScaledOut({ databaseUrl: testEnv.DATABASE_URL!, env: { identity: { AUTH_THROTTLE_PER_MINUTE: '10000' }, conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS) } } });
    await Promise.all(SIDES.map((side) => waitUntil(`router ${side} finds every subgraph healthy`, () => routerSeesEverySubgraph(scaled.urls[side].router), 30_000)));
    admin = await registerAccount(graphqlUrl('a'), 'admin', PASSWORD); // the first account: SUPERADMIN
    must('createFlag', await gql('a', `mutation Create($input: CreateFlagInput!) { createFlag(input: $input) { key } }`, { input: { key: FLAG_KEY, visibility: 'PUBLIC', enabled: false } }, admin.accessToken));
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled(disposers.map((dispose) => dispose()));
    await scaled?.stop();
  }, 60_000);

  it('a reply started through router a is followed, whole, from router b', async () => {
    const user = await registerAccount(graphqlUrl('a'), 'follower', PASSWORD);
    const { createConversation } = must('createConversation', await gql<{ createConversation: { id: string } }>('a', `mutation { createConversation(title: "scale") { id } }`, {}, user.accessToken));
    const { sendMessage } = must(
      'sendMessage',
      await gql<{ sendMessage: { assistantMessage: { id: string } } }>(
        'a',
        `mutation Send($c: ID!, $text: String!) { sendMessage(conversationId: $c, content: $text, useKnowledge: false) { assistantMessage { id } } }`,
        { c: createConversation.id, text: 'What is the first-line treatment for hypertension?' },
        user.accessToken,
      ),
    );
    const run = subscribeAt<{ messageStream: StreamEvent }>('b', user.accessToken, `subscription S($id: ID!) { messageStream(messageId: $id) { index delta done message { id status content } } }`, {
      id: sendMessage.assistantMessage.id,
    });
    const end = await within(run.ended, 30_000, () => `the reply did not end at router b (indexes: ${run.data.map((d) => d.messageStream.index).join(',')})`);
    const events = run.data.map((d) => d.messageStream);
    expect({ end, errors: run.results.flatMap((r) => r.errors ?? []) }).toEqual({ end: { kind: 'complete' }, errors: [] });
    expect(events.map((e) => e.index)).toEqual(events.map((_, i) => i));
    expect(events.filter((e) => e.done)).toHaveLength(1);
    const text = events.map((e) => e.delta).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(events.at(-1)!.message).toMatchObject({ status: 'COMPLETE', content: text });
    // Router a's side reads back what router b's client saw.
    const stored = must(
      'read the reply back through router a',
      await gql<{ conversation: { messages: { edges: Array<{ node: { role: string; content: string } }> } } }>(
        'a',
        `query Q($id: ID!) { conversation(id: $id) { messages { edges { node { role content } } } } }`,
        { id: createConversation.id },
        user.accessToken,
      ),
    );
    expect(stored.conversation.messages.edges.find((e) => e.node.role === 'ASSISTANT')?.node.content).toBe(text);
  }, 60_000);

  it('a flag change made through one replica reaches subscribers on both routers', async () => {
    const user = await registerAccount(graphqlUrl('b'), 'flag-watcher', PASSWORD);
    const query = `subscription S($keys: [String!]) { flagChanges(keys: $keys) { kind key evaluation { key enabled } flags { key enabled } } }`;
    const runs = Object.fromEntries(SIDES.map((side) => [side, subscribeAt<{ flagChanges: FlagChange }>(side, user.accessToken, query, { keys: [FLAG_KEY] })])) as Record<
      Side,
      ReturnType<typeof subscribeAt<{ flagChanges: FlagChange }>>
    >;
    const enabledSeen = (side: Side) => {
      const last = runs[side].data.at(-1)?.flagChanges;
      return last?.evaluation?.enabled ?? last?.flags?.find((f) => f.key === FLAG_KEY)?.enabled;
    };
    // Each subscription starts with the flag as it is: off.
    await expect.poll(() => SIDES.map(enabledSeen), { timeout: 15_000 }).toEqual([false, false]);

    const updated = await gql<{ updateFlag: { enabled: boolean } }>('a', `mutation U($key: String!) { updateFlag(key: $key, input: { enabled: true }) { enabled } }`, { key: FLAG_KEY }, admin.accessToken);
    expect(must('updateFlag through router a', updated).updateFlag.enabled).toBe(true);
    await expect.poll(() => SIDES.map(enabledSeen), { timeout: 5_000 }).toEqual([true, true]);
    expect(runs.b.data.at(-1)?.flagChanges).toMatchObject({ key: FLAG_KEY, evaluation: { key: FLAG_KEY, enabled: true } });
  }, 40_000);

  it('a session revoked through router a is refused by router b and its replicas', async () => {
    const user = await registerAccount(graphqlUrl('a'), 'revoked', PASSWORD);
    const me = (side: Side, url = graphqlUrl(side)) => graphqlRequest<{ me: { id: string } }>(url, `{ me { id } }`, {}, { token: user.accessToken });
    expect(must('me through router b before', await me('b')).me.id).toBe(user.id);

    expect(must('logoutEverywhere through router a', await gql('a', `mutation { logoutEverywhere }`, {}, user.accessToken))).toEqual({ logoutEverywhere: true });
    const refusedAt = async () => ({
      routerA: (await me('a')).body.errors?.[0]?.extensions?.code,
      routerB: (await me('b')).body.errors?.[0]?.extensions?.code,
      identityB: (await me('b', graphqlUrl('b', 'identity'))).body.errors?.[0]?.extensions?.code,
    });
    // Fanned out through Redis within about a second; polled for a loaded machine.
    await expect.poll(refusedAt, { timeout: 3_000 }).toEqual({ routerA: 'UNAUTHENTICATED', routerB: 'UNAUTHENTICATED', identityB: 'UNAUTHENTICATED' });
  }, 30_000);
});

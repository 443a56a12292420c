import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import { errorOf, graphqlRequest } from '@voiceassist/testkit/graphql-client';
import { graphqlWsClient, subscribe, type SubscriptionEnd } from '@voiceassist/testkit/graphql-ws-client';
import { must, registerAccount, type Account } from './testing/accounts.js';
import { DEPLOYED, routerSeesEverySubgraph, startDeployment, type DeployedName, type Deployment } from './testing/deployment.js';
import { waitUntil, within } from './testing/waiting.js';

// Faults a bad night in production brings, against the services as deployed (`pnpm build`
// output, each service its own process, PostgreSQL, a Redis of the suite's own, two conversation
// replicas behind a balancer), each checked as a client sees it, and that nothing is lost:
// Redis killed and restarted, Redis flushed, a conversation replica killed mid-reply, knowledge
// killed, identity restarted. Needs PostgreSQL (DATABASE_URL): CI's second pass.

/** "Within about a second", with room for a loaded 2-core machine. */
const QUICK_MS = 1_500;
const PASSWORD = 'chaos ladder harbour 42';
/** The embedded provider's pause per token: a reply lasts a few seconds, long enough to kill a replica mid-way. */
const TOKEN_DELAY_MS = 120;
const QUESTION = 'What is the first-line treatment for hypertension?';
const GUIDELINE = [
  'Kawasaki disease is an acute vasculitis of childhood.',
  'Kawasaki disease is treated with intravenous immunoglobulin and high-dose aspirin in the acute phase.',
  'Echocardiography looks for coronary artery aneurysms at diagnosis and again after six weeks.',
].join(' ');
const FLAG_KEY = 'chaos.banner';

interface StreamEvent {
  index: number;
  delta: string;
  done: boolean;
  error: { code: string } | null;
  message: { id: string; status: string; content: string; citations: Array<{ id: string }> } | null;
}

const STREAM = `subscription Stream($id: ID!, $after: Int) {
  messageStream(messageId: $id, afterIndex: $after) { index delta done error { code } message { id status content citations { id } } }
}`;
const SIGNED_IN_QUERY = `query SignedIn($keys: [String!]) { me { email conversations(first: 1) { edges { node { id } } } } flags(keys: $keys) { key enabled } }`;
const ANONYMOUS_FLAGS = `query Anonymous($keys: [String!]) { flags(keys: $keys) { key enabled } }`;
const LOGIN = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { id email } } }`;
const UPDATE_FLAG = `mutation Update($key: String!, $enabled: Boolean!) { updateFlag(key: $key, input: { enabled: $enabled }) { key enabled } }`;
const OWN_CONVERSATIONS = `{ conversations(first: 1) { edges { node { id } } } }`;
/** A query each service answers for a signed-in caller (and must refuse for a revoked one). */
const SIGNED_IN_AT: Partial<Record<DeployedName, string>> = {
  router: OWN_CONVERSATIONS,
  identity: `{ me { id } }`,
  conversationA: OWN_CONVERSATIONS,
  conversationB: OWN_CONVERSATIONS,
  flags: `{ flags { key } }`,
  knowledge: `{ documents(first: 1) { edges { node { id } } } }`,
};

const textOf = (events: readonly StreamEvent[]) => events.map((e) => e.delta).join('');

/** Indexes 0..n with none missing or repeated, and exactly one `done`, the last; `context` (how the stream ended) goes in the failure message. */
function expectWholeStream(events: readonly StreamEvent[], context: unknown = undefined) {
  const said = `stream ended ${JSON.stringify(context)}`;
  expect(events.map((e) => e.index), said).toEqual(events.map((_, i) => i));
  expect(events.filter((e) => e.done).length, said).toBe(1);
  expect(events.at(-1)?.done, said).toBe(true);
}

describe.skipIf(!testEnv.DATABASE_URL)('chaos, services as deployed (skipped without DATABASE_URL: runs on PostgreSQL in CI’s second pass)', () => {
  let deployment: Deployment;
  let admin: Account;
  /** The flag's state: created off, flipped by each update. */
  let flagEnabled = false;
  const disposers: Array<() => unknown> = [];

  const graphqlUrl = (name: DeployedName = 'router') => `${deployment.urls[name]}/graphql`;
  const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, token?: string, name: DeployedName = 'router') =>
    graphqlRequest<T>(graphqlUrl(name), query, variables, { token });

  async function timed<T>(request: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const started = performance.now();
    const result = await request();
    return { result, ms: performance.now() - started };
  }

  const register = (label: string): Promise<Account> => registerAccount(graphqlUrl(), label, PASSWORD);

  const login = (email: string) => gql<{ login: { accessToken: string; user: { id: string; email: string } } }>(LOGIN, { email, password: PASSWORD });

  /** A signed-in account whose every session was then ended with logoutEverywhere. */
  async function revokedAccount(label: string): Promise<Account> {
    const account = await register(label);
    expect(must('logoutEverywhere', await gql(`mutation { logoutEverywhere }`, {}, account.accessToken))).toEqual({ logoutEverywhere: true });
    return account;
  }

  type Checked = keyof typeof SIGNED_IN_AT;

  /** What each of `names` (router or subgraph, asked directly) answers a signed-in query with `token`: its error code, or that it answered. */
  async function answersTo(token: string, names: readonly Checked[]): Promise<Partial<Record<Checked, unknown>>> {
    const answers = await Promise.all(
      names.map(async (name) => {
        const response = await gql(SIGNED_IN_AT[name]!, {}, token, name);
        return [name, response.body.data ? `answered with data (HTTP ${response.status})` : response.body.errors?.[0]?.extensions?.code] as const;
      }),
    );
    return Object.fromEntries(answers);
  }

  /** Every one of `names` refuses `token` as UNAUTHENTICATED (one diff shows them all). */
  async function expectRefused(token: string, names: readonly Checked[]) {
    expect(await answersTo(token, names)).toEqual(Object.fromEntries(names.map((name) => [name, 'UNAUTHENTICATED'])));
  }

  function stream(token: string, messageId: string, afterIndex?: number) {
    const { client, closeCodes } = graphqlWsClient(graphqlUrl().replace(/^http/, 'ws'), token);
    disposers.push(() => client.dispose());
    const run = subscribe<{ messageStream: StreamEvent }>(client, STREAM, { id: messageId, after: afterIndex ?? null });
    let end: SubscriptionEnd | undefined;
    void run.ended.then((ended) => (end = ended));
    return {
      run,
      closeCodes,
      events: () => run.data.map((d) => d.messageStream),
      /** How it ended and the errors it carried, for failure messages. */
      outcome: () => ({ end, errors: run.results.flatMap((r) => r.errors ?? []), closeCodes }),
    };
  }

  /** A reply's stream through the router until it ends; fails when it has not ended within `ms`. */
  async function wholeReply(token: string, messageId: string, afterIndex?: number, ms = 20_000) {
    const { run, events, outcome } = stream(token, messageId, afterIndex);
    await within(run.ended, ms, () => `message ${messageId} did not end (indexes so far: ${events().map((e) => e.index).join(',')})`);
    return { events: events(), outcome: outcome() };
  }

  /** Starts a reply: a new conversation with one question; resolves with its ids. */
  async function ask(account: Account, question = QUESTION, useKnowledge = false) {
    const { createConversation } = must('createConversation', await gql<{ createConversation: { id: string } }>(`mutation { createConversation(title: "chaos") { id } }`, {}, account.accessToken));
    const { sendMessage } = must(
      'sendMessage',
      await gql<{ sendMessage: { assistantMessage: { id: string } } }>(
        `mutation Send($c: ID!, $text: String!, $k: Boolean) { sendMessage(conversationId: $c, content: $text, useKnowledge: $k) { assistantMessage { id } } }`,
        { c: createConversation.id, text: question, k: useKnowledge },
        account.accessToken,
      ),
    );
    return { conversationId: createConversation.id, messageId: sendMessage.assistantMessage.id };
  }

  /** The reply as stored, read back over HTTP. */
  async function storedReply(account: Account, conversationId: string) {
    const { conversation } = must(
      'read the stored reply',
      await gql<{ conversation: { messages: { edges: Array<{ node: { role: string; status: string; content: string; citations: Array<{ id: string }> } }> } } }>(
        `query Stored($id: ID!) { conversation(id: $id) { messages { edges { node { role status content citations { id } } } } } }`,
        { id: conversationId },
        account.accessToken,
      ),
    );
    return conversation.messages.edges.map((e) => e.node).find((m) => m.role === 'ASSISTANT');
  }

  async function probe(name: DeployedName, path: '/ready' | '/health') {
    const response = await fetch(`${deployment.urls[name]}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: (await response.json()) as { status?: string; degraded?: string[] } };
  }

  const running = () => (Object.keys(DEPLOYED) as DeployedName[]).filter((name) => deployment.process(name));

  /** What `path` answers at every running service, by name: one diff shows them all. */
  async function probeAll(path: '/ready' | '/health') {
    const answers = await Promise.all(running().map(async (name) => [name, await probe(name, path)] as const));
    return Object.fromEntries(answers.map(([name, { status, body }]) => [name, { http: status, status: body.status, degraded: body.degraded ?? [] }]));
  }

  const everyService = <T>(expected: T) => Object.fromEntries(running().map((name) => [name, expected]));

  beforeAll(async () => {
    deployment = await startDeployment({
      databaseUrl: testEnv.DATABASE_URL!,
      env: {
        identity: { AUTH_THROTTLE_PER_MINUTE: '10000' },
        conversationA: { CHAT_EMBEDDED_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS) },
        conversationB: { CHAT_EMBEDDED_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS) },
      },
    });
    await waitUntil('the router finds every subgraph ready', () => routerSeesEverySubgraph(deployment.urls.router), 30_000);
    admin = await register('admin'); // the first account: SUPERADMIN
    must('createFlag', await gql(`mutation Create($input: CreateFlagInput!) { createFlag(input: $input) { key } }`, { input: { key: FLAG_KEY, visibility: 'PUBLIC', enabled: false } }, admin.accessToken));
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled(disposers.map((dispose) => dispose()));
    await deployment?.stop();
  }, 60_000);

  describe('Redis killed, then restarted empty', () => {
    let user: Account;
    let revoked: Account;
    let inFlight: { conversationId: string; follower: ReturnType<typeof stream> };

    /** Signed in, across identity, conversation and flags: answered in about a second, without errors. */
    async function expectSignedInQueriesWork(account: Account) {
      const { result, ms } = await timed(() => gql<{ me: { email: string } }>(SIGNED_IN_QUERY, { keys: [FLAG_KEY] }, account.accessToken));
      expect({ status: result.status, errors: result.body.errors }).toEqual({ status: 200, errors: undefined });
      expect(result.body.data?.me.email).toBe(account.email);
      expect(ms).toBeLessThan(QUICK_MS);
    }

    async function expectAnonymousRequestsWork() {
      const { result, ms } = await timed(() => gql<{ flags: Array<{ key: string }> }>(ANONYMOUS_FLAGS, { keys: [FLAG_KEY] }));
      expect({ status: result.status, errors: result.body.errors }).toEqual({ status: 200, errors: undefined });
      expect(result.body.data?.flags.map((f) => f.key)).toEqual([FLAG_KEY]);
      expect(ms).toBeLessThan(QUICK_MS);
    }

    async function expectLoginWorks(account: Account) {
      const { result, ms } = await timed(() => login(account.email));
      expect({ status: result.status, errors: result.body.errors }).toEqual({ status: 200, errors: undefined });
      expect(result.body.data?.login.user.email).toBe(account.email);
      expect(ms).toBeLessThan(QUICK_MS);
      // The new session's token is accepted.
      const me = await gql<{ me: { email: string } }>(`{ me { email } }`, {}, result.body.data!.login.accessToken);
      expect({ status: me.status, errors: me.body.errors, email: me.body.data?.me.email }).toEqual({ status: 200, errors: undefined, email: account.email });
    }

    /** Flips the flag as an admin; anonymous readers see the new value next. */
    async function expectFlagUpdateWorks() {
      const updated = await gql<{ updateFlag: { enabled: boolean } }>(UPDATE_FLAG, { key: FLAG_KEY, enabled: !flagEnabled }, admin.accessToken);
      expect({ status: updated.status, errors: updated.body.errors }).toEqual({ status: 200, errors: undefined });
      flagEnabled = !flagEnabled;
      expect(updated.body.data?.updateFlag.enabled).toBe(flagEnabled);
      await expect
        .poll(async () => (await gql<{ flags: Array<{ enabled: boolean }> }>(ANONYMOUS_FLAGS, { keys: [FLAG_KEY] })).body.data?.flags[0]?.enabled, { timeout: 3_000 })
        .toBe(flagEnabled);
    }

    async function expectReplyStreamedAndStored(account: Account) {
      const { conversationId, messageId } = await ask(account);
      const { events, outcome } = await wholeReply(account.accessToken, messageId);
      expectWholeStream(events, outcome);
      expect(outcome.end).toEqual({ kind: 'complete' });
      expect(events.at(-1)!.message).toMatchObject({ status: 'COMPLETE', content: textOf(events) });
      expect(await storedReply(account, conversationId)).toMatchObject({ status: 'COMPLETE', content: textOf(events) });
    }

    async function expectStillRevoked(account: Account) {
      await expectRefused(account.accessToken, ['router', 'conversationA', 'flags']);
    }

    beforeAll(async () => {
      user = await register('outage');
      revoked = await revokedAccount('revoked-before-outage');
      await expectRefused(revoked.accessToken, ['router']);
      const { conversationId, messageId } = await ask(user);
      inFlight = { conversationId, follower: stream(user.accessToken, messageId) };
      await waitUntil('the reply in progress has begun', async () => inFlight.follower.events().length >= 3, 10_000);
      await deployment.redis.kill();
    }, 30_000);

    it('signed-in queries keep answering within about a second, without errors, from the first moment', async () => {
      for (let i = 0; i < 6; i += 1) {
        await expectSignedInQueriesWork(user);
        await sleep(300);
      }
    });

    it('anonymous requests are answered (rate limits fall back to each instance)', async () => {
      for (let i = 0; i < 3; i += 1) await expectAnonymousRequestsWork();
    });

    it('login works', async () => {
      await expectLoginWorks(user);
    });

    it('a flag update succeeds and is read back', async () => {
      await expectFlagUpdateWorks();
    });

    it('a reply started during the outage streams to its subscriber, completes and is stored', async () => {
      await expectReplyStreamedAndStored(user);
    }, 40_000);

    it('a reply in progress when Redis died is finished and stored, and its subscriber gets every token', async () => {
      await within(inFlight.follower.run.ended, 20_000, () => `the reply in progress did not end (indexes: ${inFlight.follower.events().map((e) => e.index).join(',')})`);
      const events = inFlight.follower.events();
      expectWholeStream(events, inFlight.follower.outcome());
      expect(events.at(-1)!.message).toMatchObject({ status: 'COMPLETE', content: textOf(events) });
      expect(await storedReply(user, inFlight.conversationId)).toMatchObject({ status: 'COMPLETE', content: textOf(events) });
    }, 30_000);

    it('a session revoked before the outage stays revoked', async () => {
      await expectStillRevoked(revoked);
    });

    it('/ready of every service is 200 "degraded", naming redis', async () => {
      await expect.poll(() => probeAll('/ready'), { timeout: 10_000 }).toEqual(everyService({ http: 200, status: 'degraded', degraded: expect.arrayContaining(['redis']) }));
    });

    it('/health (liveness) of every service stays 200 "ok", naming redis as degraded', async () => {
      expect(await probeAll('/health')).toEqual(everyService({ http: 200, status: 'ok', degraded: expect.arrayContaining(['redis']) }));
    });

    describe('once Redis is back, empty', () => {
      beforeAll(async () => {
        await deployment.redis.start();
      });

      it('/ready of every service is ready again, nothing degraded', async () => {
        await expect.poll(() => probeAll('/ready'), { timeout: 20_000 }).toEqual(everyService({ http: 200, status: 'ready', degraded: [] }));
      });

      it('signed-in and anonymous requests, login, flag updates and replies work as before', async () => {
        await expectSignedInQueriesWork(user);
        await expectAnonymousRequestsWork();
        await expectLoginWorks(user);
        await expectFlagUpdateWorks();
        await expectReplyStreamedAndStored(user);
      }, 40_000);

      it('flag changes reach live subscribers again', async () => {
        const { client } = graphqlWsClient(graphqlUrl().replace(/^http/, 'ws'), admin.accessToken);
        disposers.push(() => client.dispose());
        type Change = { flagChanges: { kind: string; key: string | null; evaluation: { enabled: boolean } | null } };
        const changes = subscribe<Change>(client, `subscription Changes($keys: [String!]) { flagChanges(keys: $keys) { kind key evaluation { enabled } } }`, { keys: [FLAG_KEY] });
        await expect.poll(() => changes.data.length, { timeout: 5_000 }).toBeGreaterThan(0);
        expect(changes.data[0]!.flagChanges.kind).toBe('SNAPSHOT');
        flagEnabled = !flagEnabled;
        must('updateFlag', await gql(UPDATE_FLAG, { key: FLAG_KEY, enabled: flagEnabled }, admin.accessToken));
        await expect.poll(() => changes.data.find((d) => d.flagChanges.kind === 'UPDATED')?.flagChanges, { timeout: 5_000 }).toEqual({ kind: 'UPDATED', key: FLAG_KEY, evaluation: { enabled: flagEnabled } });
        changes.stop();
      });

      it('the session revoked before the outage is still revoked, though Redis lost everything', async () => {
        await expectStillRevoked(revoked);
      });
    });
  });

  describe('Redis flushed', () => {
    let revoked: Account;
    let messageId: string;

    beforeAll(async () => {
      const account = await register('flushed');
      const reply = await ask(account);
      messageId = reply.messageId;
      await wholeReply(account.accessToken, messageId);
      expect(must('logoutEverywhere', await gql(`mutation { logoutEverywhere }`, {}, account.accessToken))).toEqual({ logoutEverywhere: true });
      revoked = account;
      await expectRefused(revoked.accessToken, ['router']);
      await deployment.redis.flush();
    }, 60_000);

    it('a token revoked by logoutEverywhere before the flush stays UNAUTHENTICATED, through the router and at each subgraph', async () => {
      for (let round = 0; round < 2; round += 1) {
        await expectRefused(revoked.accessToken, ['router', 'identity', 'conversationA', 'conversationB', 'flags', 'knowledge']);
        await sleep(1_000); // and stays so past the first moments after the flush
      }
    });

    it('cannot open a subscription with it, while a fresh sign-in of the same user can', async () => {
      const refused = stream(revoked.accessToken, messageId);
      await within(refused.run.ended, 5_000, () => 'the subscription with a revoked token was neither refused nor ended');
      expect(refused.events()).toEqual([]);
      // Refused at connection (close 4401) or as the subscription's error: either way, UNAUTHENTICATED.
      expect(JSON.stringify(refused.outcome())).toMatch(/4401|UNAUTHENTICATED/);

      const fresh = must('login', await login(revoked.email)).login.accessToken;
      const { events } = await wholeReply(fresh, messageId);
      expect(events.at(-1)).toMatchObject({ done: true, message: { status: 'COMPLETE' } });
    });
  });

  describe('conversation replica killed mid-reply', () => {
    afterAll(async () => {
      if (!deployment.process('conversationA')) await deployment.start('conversationA');
    }, 90_000);

    it('another replica continues it: a client re-subscribing through the router gets the rest, no index missing or repeated, and it is stored whole', async () => {
      const user = await register('takeover');
      // The same question answered undisturbed: what the user should end up with.
      const reference = await ask(user);
      const referenceText = textOf((await wholeReply(user.accessToken, reference.messageId)).events);

      const { conversationId, messageId } = await ask(user);
      const first = stream(user.accessToken, messageId);
      await expect.poll(() => first.events().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      // The balancer's primary holds every request, so replica A is generating this reply.
      await deployment.kill('conversationA');
      const killedAt = performance.now();

      await within(first.run.ended, 3_000, () => 'the subscriber saw neither an error nor the end of its stream after its replica was killed');
      const before = first.events();
      expect(before.some((e) => e.done)).toBe(false); // killed mid-reply

      const resumed = stream(user.accessToken, messageId, before.at(-1)!.index);
      // Taken over within a few seconds: the next event reaches the re-subscribed client within 10 s of the crash.
      await expect.poll(() => resumed.events().length, { timeout: 10_000 - (performance.now() - killedAt), message: 'no event after the crash' }).toBeGreaterThan(0);
      await within(resumed.run.ended, 15_000, () => `the continued reply did not end (indexes after the crash: ${resumed.events().map((e) => e.index).join(',')})`);
      const events = [...before, ...resumed.events()];
      expectWholeStream(events, resumed.outcome());
      const last = events.at(-1)!;
      expect(last.error).toBeNull();
      expect(last.message).toMatchObject({ status: 'COMPLETE', content: textOf(events) });
      // Continued from the text so far, it is the answer the user would have had undisturbed.
      expect(textOf(events)).toBe(referenceText);
      expect(await storedReply(user, conversationId)).toMatchObject({ status: 'COMPLETE', content: textOf(events) });
    }, 90_000);
  });

  describe('knowledge killed, then restarted', () => {
    let user: Account;
    const KAWASAKI = 'How is Kawasaki disease treated?';

    async function answer(question: string) {
      const { conversationId, messageId } = await ask(user, question, true);
      const { events, outcome } = await wholeReply(user.accessToken, messageId);
      return { events, outcome, last: events.at(-1)!, stored: await storedReply(user, conversationId) };
    }

    beforeAll(async () => {
      user = await register('clinician');
      const { ingestDocument } = must(
        'ingestDocument',
        await gql<{ ingestDocument: { id: string } }>(
          `mutation Ingest($input: IngestDocumentInput!) { ingestDocument(input: $input) { id } }`,
          { input: { title: 'Kawasaki disease guideline', mimeType: 'text/plain', text: GUIDELINE } },
          admin.accessToken,
        ),
      );
      const status = async () => (await gql<{ document: { status: string } }>(`query Doc($id: ID!) { document(id: $id) { status } }`, { id: ingestDocument.id }, admin.accessToken)).body.data?.document.status;
      await waitUntil('the guideline is indexed', async () => (await status()) === 'READY', 60_000);
      // With knowledge up, the answer cites the guideline: what its absence takes away.
      const cited = await answer(KAWASAKI);
      if (cited.last.message?.citations.length === 0) throw new Error('with knowledge up, the reply should cite the guideline');
      await deployment.kill('knowledge');
    }, 120_000);

    it('conversation still answers, without citations, and stores the reply', async () => {
      const { events, outcome, last, stored } = await answer(KAWASAKI);
      expectWholeStream(events, outcome);
      expect(last.message).toMatchObject({ status: 'COMPLETE', content: textOf(events), citations: [] });
      expect(stored).toMatchObject({ status: 'COMPLETE', content: textOf(events), citations: [] });
    }, 40_000);

    it('knowledge queries answer DOWNSTREAM_SERVICE_ERROR naming knowledge, not an HTTP 5xx', async () => {
      for (const query of [`{ search(query: "Kawasaki") { score } }`, `{ documents(first: 1) { edges { node { id } } } }`]) {
        const response = await gql(query, {}, user.accessToken);
        expect(response.status).toBeLessThan(500);
        expect(errorOf(response).extensions).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'knowledge' });
      }
    });

    it('the router stays up and the other subgraphs answer', async () => {
      expect((await probe('router', '/health')).status).toBe(200);
      const me = await gql<{ me: { email: string } }>(SIGNED_IN_QUERY, { keys: [FLAG_KEY] }, user.accessToken);
      expect({ status: me.status, errors: me.body.errors, email: me.body.data?.me.email }).toEqual({ status: 200, errors: undefined, email: user.email });
    });

    describe('once knowledge is back', () => {
      beforeAll(async () => {
        await deployment.start('knowledge');
      }, 90_000);

      it('knowledge answers again, and replies cite it again', async () => {
        await expect.poll(async () => (await gql<{ search: unknown[] }>(`{ search(query: "Kawasaki immunoglobulin") { score } }`, {}, user.accessToken)).body.data?.search.length ?? 0, { timeout: 15_000 }).toBeGreaterThan(0);
        const { last } = await answer(KAWASAKI);
        expect(last.message?.status).toBe('COMPLETE');
        expect(last.message?.citations.length).toBeGreaterThan(0);
      }, 40_000);
    });
  });

  describe('identity down, then restarted', () => {
    let holder: Account;
    let revoked: Account;

    beforeAll(async () => {
      holder = await register('holder');
      revoked = await revokedAccount('revoked-before-restart');
      await expectRefused(revoked.accessToken, ['router']);
      await deployment.kill('identity');
    }, 30_000);

    it('access tokens issued before keep working (verified locally with the cached keys)', async () => {
      const viaRouter = await gql(`query Mine($keys: [String!]) { conversations(first: 1) { edges { node { id } } } flags(keys: $keys) { key } }`, { keys: [FLAG_KEY] }, holder.accessToken);
      expect({ status: viaRouter.status, errors: viaRouter.body.errors }).toEqual({ status: 200, errors: undefined });
      const direct = await gql(OWN_CONVERSATIONS, {}, holder.accessToken, 'conversationA');
      expect({ status: direct.status, errors: direct.body.errors }).toEqual({ status: 200, errors: undefined });
    });

    it('a session revoked before stays revoked', async () => {
      await expectRefused(revoked.accessToken, ['router', 'conversationA']);
    });

    it('login answers a coded error, not a 500', async () => {
      const response = await login(holder.email);
      expect(response.status).toBeLessThan(500);
      expect(errorOf(response).extensions).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'identity' });
    });

    describe('once identity is back', () => {
      beforeAll(async () => {
        await deployment.start('identity');
      }, 90_000);

      it('login works again', async () => {
        await expect.poll(async () => (await login(holder.email)).body.errors, { timeout: 10_000 }).toBeUndefined();
        const token = must('login', await login(holder.email)).login.accessToken;
        expect(must('me', await gql<{ me: { email: string } }>(`{ me { email } }`, {}, token)).me.email).toBe(holder.email);
      });

      it('revocations made before the restart still hold, and tokens issued before still work', async () => {
        await expectRefused(revoked.accessToken, ['router', 'identity', 'conversationA']);
        expect(must('me', await gql<{ me: { email: string } }>(`{ me { email } }`, {}, holder.accessToken)).me.email).toBe(holder.email);
      });
    });
  });
});

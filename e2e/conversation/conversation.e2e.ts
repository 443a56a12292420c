import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_KNOWLEDGE_ANSWER } from '@voiceassist/ai';
import { createLogger } from '@voiceassist/logging';
import { startSupergraph } from '@voiceassist/test-supergraph';
import { dataOf, errorOf, graphqlRequest } from '@voiceassist/testkit/graphql-client';
import type { ConversationService } from '@voiceassist/conversation';
import { Harness, textOf, wholeReply, type Account } from './harness.js';

// The conversation subgraph through the real router, on the embedded chat provider (no
// knowledge subgraph): PGlite and in-process token logs, or PostgreSQL and Redis when CI sets them.

const logLines: string[] = [];
const capture = (service: string) => createLogger({ service, level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });

let h: Harness;
let service: ConversationService;
let superadmin: Account;
let alice: Account;
let bob: Account;

beforeAll(async () => {
  const supergraph = await startSupergraph({
    subgraphs: ['identity', 'conversation'],
    env: {
      identity: { AUTH_THROTTLE_PER_MINUTE: '10000' },
      // Heartbeats a minute apart: the lease sweep (a query each heartbeat) stays out of the query counts below.
      conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: '1', BUDGET_TOKENS_VIEWER: '1', CHAT_HEARTBEAT_MS: '60000', CHAT_TAKEOVER_AFTER_MS: '180000' },
    },
    loggers: { conversation: capture('conversation'), router: capture('router') },
  });
  h = new Harness(supergraph);
  service = supergraph.subgraphs.conversation!.service as ConversationService;
  superadmin = await h.signUp('root');
  alice = await h.signUp('alice');
  bob = await h.signUp('bob');
});

afterAll(async () => {
  await h?.supergraph.stop();
});

const CONVERSATION = `query One($id: ID!) { conversation(id: $id) {
  id title archived owner { id displayName } createdAt updatedAt
  messages { edges { cursor node { id role status content citations { id } usage { promptTokens completionTokens model } error { code } } } pageInfo { hasNextPage endCursor } }
} }`;

interface ConversationView {
  id: string;
  title: string;
  archived: boolean;
  owner: { id: string; displayName: string };
  updatedAt: string;
  messages: {
    edges: Array<{ cursor: string; node: { id: string; role: string; status: string; content: string; citations: Array<{ id: string }>; usage: { promptTokens: number; completionTokens: number; model: string } | null } }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const conversationOf = async (account: Account, id: string) => (await h.data<{ conversation: ConversationView }>(CONVERSATION, { id }, account.accessToken)).conversation;

async function listTitles(account: Account, args: Record<string, unknown> = {}) {
  const { conversations } = await h.data<{ conversations: { edges: Array<{ node: { title: string } }> } }>(
    `query L($first: Int, $search: String, $archived: Boolean) { conversations(first: $first, search: $search, archived: $archived) { edges { node { title } } } }`,
    { first: 100, ...args },
    account.accessToken,
  );
  return conversations.edges.map((e) => e.node.title);
}

/** Sends and waits for the whole reply over the router's WebSocket. */
async function exchange(account: Account, conversationId: string, text: string) {
  const sent = await h.send(account, conversationId, text);
  const client = h.client(account);
  try {
    return { sent, events: await wholeReply(client, sent.assistantMessage.id) };
  } finally {
    await client.dispose();
  }
}

describe('conversations', () => {
  it('are created, renamed, archived, listed newest activity first and deleted by their owner', async () => {
    const first = await h.createConversation(alice, 'Ward round notes');
    const second = await h.createConversation(alice, '  Discharge planning  ');
    expect((await conversationOf(alice, second)).title).toBe('Discharge planning');
    const renamed = await h.data<{ renameConversation: { title: string } }>(
      `mutation($id: ID!) { renameConversation(id: $id, title: "Ward round, bay 4") { title } }`,
      { id: first },
      alice.accessToken,
    );
    expect(renamed.renameConversation.title).toBe('Ward round, bay 4');
    // Renaming is activity: it comes first now.
    expect((await listTitles(alice)).slice(0, 2)).toEqual(['Ward round, bay 4', 'Discharge planning']);

    await h.data(`mutation($id: ID!) { archiveConversation(id: $id, archived: true) { archived } }`, { id: second }, alice.accessToken);
    expect(await listTitles(alice, { archived: true })).toEqual(['Discharge planning']);
    expect(await listTitles(alice, { archived: false })).not.toContain('Discharge planning');
    expect(await listTitles(alice)).toContain('Discharge planning');

    expect((await h.data<{ deleteConversation: boolean }>(`mutation($id: ID!) { deleteConversation(id: $id) }`, { id: second }, alice.accessToken)).deleteConversation).toBe(true);
    expect(errorOf(await h.gql(CONVERSATION, { id: second }, alice.accessToken)).extensions).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses bad titles on the title field', async () => {
    for (const title of ['   ', 'x'.repeat(201)]) {
      const error = errorOf(await h.gql(`mutation($t: String) { createConversation(title: $t) { id } }`, { t: title }, alice.accessToken));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'title' });
    }
  });

  it('pages with opaque cursors, without gaps or repeats', async () => {
    type ConversationPage = { edges: Array<{ node: { title: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    const account = await h.signUp('pager');
    for (let i = 0; i < 5; i++) await h.createConversation(account, `Page ${i}`);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const { conversations }: { conversations: ConversationPage } = await h.data<{ conversations: ConversationPage }>(
        `query($after: String) { conversations(first: 2, after: $after) { edges { node { title } } pageInfo { hasNextPage endCursor } } }`,
        { after },
        account.accessToken,
      );
      seen.push(...conversations.edges.map((e) => e.node.title));
      after = conversations.pageInfo.endCursor;
      if (!conversations.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual(['Page 4', 'Page 3', 'Page 2', 'Page 1', 'Page 0']);
    expect(errorOf(await h.gql(`{ conversations(first: 2, after: "bm9wZQ") { edges { cursor } } }`, {}, account.accessToken)).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'after',
    });
    expect(errorOf(await h.gql(`{ conversations(first: 101) { edges { cursor } } }`, {}, account.accessToken)).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'first',
    });
  });

  it('are found by full-text search over titles and message text, only the caller’s own', async () => {
    const account = await h.signUp('searcher');
    const cardiology = await h.createConversation(account, 'Cardiology referral');
    const headache = await h.createConversation(account, 'Clinic questions');
    await exchange(account, headache, 'The patient reports recurrent migraines with aura.');
    await h.createConversation(account, 'Unrelated');
    // Another user's conversation with the same words is never found.
    await exchange(bob, await h.createConversation(bob, 'Cardiology for Bob'), 'migraines too');

    expect(await listTitles(account, { search: 'cardiology' })).toEqual(['Cardiology referral']);
    expect(await listTitles(account, { search: 'migraine' })).toEqual(['Clinic questions']);
    // Word prefixes match as the user types.
    expect(await listTitles(account, { search: 'migr' })).toEqual(['Clinic questions']);
    expect(await listTitles(account, { search: 'aura migraines' })).toEqual(['Clinic questions']);
    expect(await listTitles(account, { search: 'oncology' })).toEqual([]);
    expect(await listTitles(account, { search: '!!!' })).toEqual([]);
    expect(cardiology).toBeTruthy();
  });

  it('are invisible to everyone but their owner, whatever their role: NOT_FOUND, never FORBIDDEN', async () => {
    const id = await h.createConversation(alice, 'Private');
    const { assistantMessage } = (await exchange(alice, id, 'Is this private?')).sent;
    for (const intruder of [bob, superadmin]) {
      const token = intruder.accessToken;
      const attempts = [
        h.gql(CONVERSATION, { id }, token),
        h.gql(`mutation($id: ID!) { renameConversation(id: $id, title: "Mine") { id } }`, { id }, token),
        h.gql(`mutation($id: ID!) { archiveConversation(id: $id, archived: true) { id } }`, { id }, token),
        h.gql(`mutation($id: ID!) { deleteConversation(id: $id) }`, { id }, token),
        h.gql(`mutation($id: ID!) { sendMessage(conversationId: $id, content: "hi") { userMessage { id } } }`, { id }, token),
        h.gql(`mutation($id: ID!) { cancelGeneration(messageId: $id) { id } }`, { id: assistantMessage.id }, token),
        h.gql(`mutation($id: ID!) { regenerate(messageId: $id) { id } }`, { id: assistantMessage.id }, token),
      ];
      for (const response of await Promise.all(attempts)) expect(errorOf(response).extensions).toMatchObject({ code: 'NOT_FOUND' });
      // The same answer as for an id that never existed.
      expect(errorOf(await h.gql(CONVERSATION, { id: '00000000-0000-4000-8000-000000000000' }, token)).extensions).toMatchObject({ code: 'NOT_FOUND' });
      expect(await listTitles(intruder)).not.toContain('Private');

      const client = h.client(intruder);
      const run = wholeReply(client, assistantMessage.id);
      await expect(run).resolves.toEqual([]);
      await client.dispose();

      // Entity lookups (as another subgraph would make them) give nothing either.
      const entities = await graphqlRequest<{ _entities: unknown[] }>(
        `${h.supergraph.subgraphs.conversation!.url}/graphql`,
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Conversation { id title } ... on Message { id content } } }`,
        { r: [{ __typename: 'Conversation', id }, { __typename: 'Message', id: assistantMessage.id }] },
        { token },
      );
      expect(dataOf(entities)._entities).toEqual([null, null]);
    }
    // Still there, untouched, for Alice.
    expect((await conversationOf(alice, id)).title).toBe('Private');
  });

  it('refuses a subscription to someone else’s reply with NOT_FOUND', async () => {
    const id = await h.createConversation(alice);
    const { sent } = await exchange(alice, id, 'Mine only');
    const client = h.client(bob);
    const results: unknown[] = [];
    await new Promise<void>((resolve) => {
      client.subscribe({ query: `subscription($id: ID!) { messageStream(messageId: $id) { index } }`, variables: { id: sent.assistantMessage.id } }, {
        next: (r) => void results.push(r),
        error: (e) => {
          results.push(e);
          resolve();
        },
        complete: () => resolve(),
      });
    });
    await client.dispose();
    expect(JSON.stringify(results)).toContain('NOT_FOUND');
    expect(JSON.stringify(results)).not.toContain('"index"');
  });
});

describe('messages and replies', () => {
  it('sendMessage returns both messages at once; the reply streams token by token and ends stored', async () => {
    const id = await h.createConversation(alice);
    const sent = await h.send(alice, id, 'What is the first-line treatment for hypertension?');
    expect(sent.userMessage).toMatchObject({ role: 'USER', status: 'COMPLETE', content: 'What is the first-line treatment for hypertension?' });
    expect(sent.assistantMessage).toMatchObject({ role: 'ASSISTANT', status: 'STREAMING', content: '' });

    const client = h.client(alice);
    const events = await wholeReply(client, sent.assistantMessage.id);
    await client.dispose();
    expect(events.length).toBeGreaterThan(5);
    expect(events.map((e) => e.index)).toEqual(events.map((_, i) => i));
    const last = events.at(-1)!;
    expect(last.done).toBe(true);
    expect(events.slice(0, -1).every((e) => !e.done && e.message === null)).toBe(true);
    // No knowledge subgraph here: an honest answer, without citations.
    expect(last.message).toMatchObject({ id: sent.assistantMessage.id, status: 'COMPLETE', content: NO_KNOWLEDGE_ANSWER, citations: [] });
    expect(textOf(events)).toBe(last.message!.content);
    expect(last.message!.usage).toMatchObject({ model: 'embedded-extractive' });
    expect(last.message!.usage!.promptTokens).toBeGreaterThan(0);
    expect(last.message!.usage!.completionTokens).toBe(events.length - 1);

    const conversation = await conversationOf(alice, id);
    // The first message named the conversation.
    expect(conversation.title).toBe('What is the first-line treatment for hypertension?');
    expect(conversation.messages.edges.map((e) => [e.node.role, e.node.status])).toEqual([
      ['USER', 'COMPLETE'],
      ['ASSISTANT', 'COMPLETE'],
    ]);
    expect(conversation.messages.edges[0]!.node.usage).toBeNull();
  });

  it('replays a finished reply to a late subscriber, and after any index without gaps or repeats', async () => {
    const id = await h.createConversation(alice);
    const { sent, events } = await exchange(alice, id, 'Replay me');
    const client = h.client(alice);
    expect(await wholeReply(client, sent.assistantMessage.id)).toEqual(events);
    const tail = await wholeReply(client, sent.assistantMessage.id, 9);
    expect(tail).toEqual(events.slice(10));
    expect(textOf(events.slice(0, 10)) + textOf(tail)).toBe(events.at(-1)!.message!.content);
    await client.dispose();
  });

  it('streams a reply whose token log has expired from the database: the text in one delta, then the end', async () => {
    const id = await h.createConversation(alice);
    const { sent, events } = await exchange(alice, id, 'Old news');
    await service.tokenLog.delete([sent.assistantMessage.id]);
    const client = h.client(alice);
    const fromDatabase = await wholeReply(client, sent.assistantMessage.id);
    expect(fromDatabase.map((e) => [e.index, e.done])).toEqual([
      [0, false],
      [1, true],
    ]);
    expect(textOf(fromDatabase)).toBe(textOf(events));
    expect(fromDatabase[1]!.message).toMatchObject({ status: 'COMPLETE', content: textOf(events) });
    // A client that saw some of it gets only the end, with the stored message.
    const resumed = await wholeReply(client, sent.assistantMessage.id, 4);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toMatchObject({ index: 5, done: true, delta: '' });
    await client.dispose();
  });

  it('pages messages oldest first', async () => {
    const id = await h.createConversation(alice);
    await exchange(alice, id, 'one');
    await exchange(alice, id, 'two');
    const page = async (after: string | null) =>
      (
        await h.data<{ conversation: { messages: { edges: Array<{ node: { content: string; role: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } } }>(
          `query($id: ID!, $after: String) { conversation(id: $id) { messages(first: 3, after: $after) { edges { node { role content } } pageInfo { hasNextPage endCursor } } } }`,
          { id, after },
          alice.accessToken,
        )
      ).conversation.messages;
    const first = await page(null);
    expect(first.edges.map((e) => e.node.role)).toEqual(['USER', 'ASSISTANT', 'USER']);
    expect(first.edges.map((e) => e.node.content)).toEqual(['one', NO_KNOWLEDGE_ANSWER, 'two']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(first.pageInfo.endCursor);
    expect(second.edges.map((e) => e.node.role)).toEqual(['ASSISTANT']);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses empty and over-long content on the content field, and accepts 32,000 characters', async () => {
    const id = await h.createConversation(alice);
    for (const content of ['', '   \n ', 'a'.repeat(32_001)]) {
      const error = errorOf(await h.gql(`mutation($id: ID!, $t: String!) { sendMessage(conversationId: $id, content: $t) { userMessage { id } } }`, { id, t: content }, alice.accessToken));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'content' });
    }
    expect((await conversationOf(alice, id)).messages.edges).toEqual([]);
    const { sent } = await exchange(alice, id, 'a'.repeat(32_000));
    expect(sent.userMessage.status).toBe('COMPLETE');
  });

  it('refuses messages to an archived conversation with CONFLICT, and takes them again once unarchived', async () => {
    const id = await h.createConversation(alice);
    await h.data(`mutation($id: ID!) { archiveConversation(id: $id, archived: true) { id } }`, { id }, alice.accessToken);
    expect(errorOf(await h.gql(`mutation($id: ID!) { sendMessage(conversationId: $id, content: "hello") { userMessage { id } } }`, { id }, alice.accessToken)).extensions).toMatchObject({
      code: 'CONFLICT',
    });
    await h.data(`mutation($id: ID!) { archiveConversation(id: $id, archived: false) { id } }`, { id }, alice.accessToken);
    await exchange(alice, id, 'hello again');
    expect((await conversationOf(alice, id)).messages.edges).toHaveLength(2);
  });

  it('deleting a conversation removes its messages and their token logs', async () => {
    const id = await h.createConversation(alice);
    const { sent } = await exchange(alice, id, 'Forget this');
    expect(await service.tokenLog.exists(sent.assistantMessage.id)).toBe(true);
    await h.data(`mutation($id: ID!) { deleteConversation(id: $id) }`, { id }, alice.accessToken);
    expect(await service.tokenLog.exists(sent.assistantMessage.id)).toBe(false);
    const rows = await service.database.query<{ n: number }>(
      // Straight from the table: no message of the conversation is left.
      (await import('@voiceassist/database')).sql`select count(*)::int as n from conversation.messages where conversation_id = ${id}`,
    );
    expect(rows[0]!.n).toBe(0);
    expect(errorOf(await h.gql(`mutation($id: ID!) { cancelGeneration(messageId: $id) { id } }`, { id: sent.assistantMessage.id }, alice.accessToken)).extensions).toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('usage and budgets', () => {
  const USAGE = `{ me { id usage { tokens promptTokens completionTokens budget remaining periodStart periodEnd } } }`;
  interface UsageView {
    tokens: number;
    promptTokens: number;
    completionTokens: number;
    budget: number;
    remaining: number;
    periodStart: string;
    periodEnd: string;
  }

  it('counts every reply’s tokens against the user’s monthly budget', async () => {
    const account = await h.signUp('spender');
    const before = (await h.data<{ me: { usage: UsageView } }>(USAGE, {}, account.accessToken)).me.usage;
    expect(before).toMatchObject({ tokens: 0, budget: 500_000, remaining: 500_000 });
    const now = new Date();
    expect(before.periodStart).toBe(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString());
    const { events } = await exchange(account, await h.createConversation(account), 'Count me');
    const usage = events.at(-1)!.message!.usage!;
    const after = (await h.data<{ me: { usage: UsageView } }>(USAGE, {}, account.accessToken)).me.usage;
    expect(after).toMatchObject({
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      tokens: usage.promptTokens + usage.completionTokens,
      remaining: 500_000 - usage.promptTokens - usage.completionTokens,
    });
  });

  it('exports each reply’s tokens by model and kind, and its time to first token, as metrics', async () => {
    const metricValues = async (name: string) => (await service.server.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    const tokens = async (kind: string) => (await metricValues('llm_tokens_total')).filter((v) => v.labels.model === service.provider.model && v.labels.kind === kind).reduce((n, v) => n + v.value, 0);
    const firstTokens = async () => (await metricValues('llm_time_to_first_token_seconds')).find((v) => (v as { metricName?: string }).metricName === 'llm_time_to_first_token_seconds_count' && v.labels.model === service.provider.model)?.value ?? 0;
    const before = { prompt: await tokens('prompt'), completion: await tokens('completion'), replies: await firstTokens() };
    const account = await h.signUp('metered');
    const { events } = await exchange(account, await h.createConversation(account), 'Meter me');
    const usage = events.at(-1)!.message!.usage!;
    expect(usage.completionTokens).toBeGreaterThan(0);
    expect(await tokens('prompt')).toBe(before.prompt + usage.promptTokens);
    expect(await tokens('completion')).toBe(before.completion + usage.completionTokens);
    expect(await firstTokens()).toBe(before.replies + 1);
  });

  it('refuses a send over budget with BUDGET_EXCEEDED before storing anything or calling the model', async () => {
    // VIEWER's budget is one token here: the first reply uses it up.
    const viewer = await h.withRole(superadmin, await h.signUp('viewer'), 'VIEWER');
    const id = await h.createConversation(viewer);
    await exchange(viewer, id, 'First question');
    const refused = await h.gql(`mutation($id: ID!) { sendMessage(conversationId: $id, content: "Second question") { userMessage { id } } }`, { id }, viewer.accessToken);
    expect(errorOf(refused).extensions).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect((await conversationOf(viewer, id)).messages.edges).toHaveLength(2);
    const usage = (await h.data<{ me: { usage: UsageView } }>(USAGE, {}, viewer.accessToken)).me.usage;
    expect(usage.budget).toBe(1);
    expect(usage.remaining).toBe(0);
  });

  it('shows a user’s usage to them and to admins, with the budget of the user’s own role, but not to other users', async () => {
    const query = `query($id: ID!) { user(id: $id) { id usage { budget tokens } } }`;
    const admin = await h.withRole(superadmin, await h.signUp('admin'), 'ADMIN');
    expect((await h.data<{ user: { usage: { budget: number } } }>(query, { id: alice.id }, admin.accessToken)).user.usage.budget).toBe(500_000);
    expect((await h.data<{ user: { usage: { budget: number } } }>(query, { id: admin.id }, superadmin.accessToken)).user.usage.budget).toBe(2_000_000);
    expect(errorOf(await h.gql(query, { id: alice.id }, bob.accessToken)).extensions).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('lists a user’s conversations on the user (only for the user themself)', async () => {
    const account = await h.signUp('lister');
    await h.createConversation(account, 'Mine');
    const { me } = await h.data<{ me: { conversations: { edges: Array<{ node: { title: string; owner: { displayName: string } } }> } } }>(
      `{ me { conversations(first: 5) { edges { node { title owner { displayName } } } } } }`,
      {},
      account.accessToken,
    );
    expect(me.conversations.edges.map((e) => e.node)).toEqual([{ title: 'Mine', owner: { displayName: 'lister' } }]);
    expect(errorOf(await h.gql(`query($id: ID!) { user(id: $id) { conversations { edges { cursor } } } }`, { id: account.id }, superadmin.accessToken)).extensions).toMatchObject({
      code: 'FORBIDDEN',
    });
  });
});

describe('batching', () => {
  it('loads a page of 50 conversations with their messages in as many queries as a page of 5 (no N+1)', async () => {
    const account = await h.signUp('batcher');
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(await h.createConversation(account, `Batch ${i}`));
    for (let i = 0; i < ids.length; i += 10) {
      const batch = ids.slice(i, i + 10);
      const sent = await Promise.all(batch.map((id, j) => h.send(account, id, `Question ${i + j}`)));
      await expect
        .poll(async () => (await service.database.query<{ n: number }>((await import('@voiceassist/database')).sql`select count(*)::int as n from conversation.messages where id in ${sent.map((s) => s.assistantMessage.id)} and status = 'STREAMING'`))[0]!.n, { timeout: 30_000 })
        .toBe(0);
    }
    // Small enough per conversation for the router's default cost limit on a page of 50.
    const query = `query($first: Int) { conversations(first: $first) { edges { node {
      id title owner { displayName }
      messages(first: 2) { edges { node { id content usage { promptTokens } conversation { title } } } }
    } } } }`;
    const count = async (first: number) => {
      let queries = 0;
      const stop = service.observeQueries(() => (queries += 1));
      try {
        const { conversations } = await h.data<{ conversations: { edges: Array<{ node: { messages: { edges: unknown[] } } }> } }>(query, { first }, account.accessToken);
        expect(conversations.edges).toHaveLength(first);
        expect(conversations.edges.every((e) => e.node.messages.edges.length === 2)).toBe(true);
      } finally {
        stop();
      }
      return queries;
    };
    // Replies update each conversation's memory in the background, and timers (lease renewals,
    // sweeps) query too: count once that has settled, and take the fewest of a few runs, so only
    // the page's own queries are counted. An N+1 would show in every run.
    let lastQueryAt = Date.now();
    const stopWatching = service.observeQueries(() => (lastQueryAt = Date.now()));
    await expect.poll(() => Date.now() - lastQueryAt, { timeout: 30_000, interval: 100 }).toBeGreaterThan(500);
    stopWatching();
    const fewest = async (first: number) => Math.min(await count(first), await count(first), await count(first));
    const forFive = await fewest(5);
    const forFifty = await fewest(50);
    expect(forFifty).toBe(forFive);
    expect(forFifty).toBeLessThanOrEqual(3);

    // The router's entity lookups for 50 conversations: one query.
    let queries = 0;
    const stop = service.observeQueries(() => (queries += 1));
    const entities = await graphqlRequest<{ _entities: Array<{ id: string } | null> }>(
      `${h.supergraph.subgraphs.conversation!.url}/graphql`,
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Conversation { id title } } }`,
      { r: ids.map((id) => ({ __typename: 'Conversation', id })) },
      { token: account.accessToken },
    );
    stop();
    expect(dataOf(entities)._entities.map((e) => e?.id)).toEqual(ids);
    expect(queries).toBe(1);
  });
});

describe('privacy', () => {
  it('never writes message text, titles or searches into the logs', async () => {
    const secret = 'zebra quokka kumquat';
    const id = await h.createConversation(alice, `Title ${secret}`);
    await exchange(alice, id, `Patient note: ${secret}`);
    await h.data(`query($s: String) { conversations(search: $s) { edges { cursor } } }`, { s: secret }, alice.accessToken);
    expect(logLines.length).toBeGreaterThan(10);
    expect(logLines.some((line) => line.includes('reply finished'))).toBe(true);
    for (const line of logLines) {
      expect(line).not.toContain('quokka');
      expect(line).not.toContain(NO_KNOWLEDGE_ANSWER.slice(0, 30));
    }
  });
});

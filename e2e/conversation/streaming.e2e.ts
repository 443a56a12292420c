import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccessTokenVerifier, createInProcessRevocations } from '@voiceassist/auth';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { createLogger } from '@voiceassist/logging';
import { createRouter, type Router } from '@voiceassist/router';
import { subgraphServices } from '@voiceassist/services';
import { testRouterEngine } from '@voiceassist/testkit';
import { startSupergraph } from '@voiceassist/test-supergraph';
import { errorOf } from '@voiceassist/testkit/graphql-client';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import { fakeChatStats } from '@voiceassist/testkit/openai-server/chat';
import { Harness, streamReply, textOf, wholeReply, type Account, type StreamEvent } from './harness.js';

// Replies from an OpenAI-compatible server (the test kit's local fake, speaking real SSE)
// through the real router over WebSockets: reconnects, cancel, regenerate, failures.

const REPLY = 'Start with lifestyle changes, then a thiazide diuretic, an ACE inhibitor or a calcium channel blocker, chosen by comorbidities and tolerance.';

let fake: FakeOpenAIServer;
let h: Harness;
let alice: Account;

beforeAll(async () => {
  fake = await startFakeOpenAIServer();
  h = new Harness(
    await startSupergraph({
      subgraphs: ['identity', 'conversation'],
      env: {
        identity: { AUTH_THROTTLE_PER_MINUTE: '10000' },
        conversation: { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-test', OPENAI_CHAT_MODEL: 'fake-clinical-1', CHAT_IDLE_TIMEOUT_MS: '1500', BUDGET_TOKENS_VIEWER: '100' },
      },
    }),
  );
  alice = await h.signUp('alice');
});

afterAll(async () => {
  await h?.supergraph.stop();
  await fake?.close();
});

beforeEach(() => {
  for (const key of Object.keys(fake.behaviour)) delete fake.behaviour[key];
  fake.behaviour.chatReply = REPLY;
});

const MESSAGES = `query($id: ID!) { conversation(id: $id) { messages { edges { node { id role status content error { code } } } } } }`;

async function messagesOf(account: Account, conversationId: string) {
  const { conversation } = await h.data<{ conversation: { messages: { edges: Array<{ node: { id: string; role: string; status: string; content: string; error: { code: string } | null } }> } } }>(
    MESSAGES,
    { id: conversationId },
    account.accessToken,
  );
  return conversation.messages.edges.map((e) => e.node);
}

/** Indices 0..n with nothing missing or repeated, the last one `done`. */
function expectWholeStream(events: StreamEvent[]) {
  expect(events.map((e) => e.index)).toEqual(events.map((_, i) => i));
  expect(events.at(-1)!.done).toBe(true);
  expect(events.filter((e) => e.done)).toHaveLength(1);
}

describe('OpenAI-compatible provider', () => {
  it('streams the provider’s tokens and stores its usage; the prompt carries the conversation so far', async () => {
    fake.behaviour.chatUsage = { prompt_tokens: 321, completion_tokens: 23 };
    const id = await h.createConversation(alice);
    const before = fake.requests.length;
    const sent = await h.send(alice, id, 'First-line treatment for hypertension?');
    const client = h.client(alice);
    const events = await wholeReply(client, sent.assistantMessage.id);
    expectWholeStream(events);
    expect(textOf(events)).toBe(REPLY);
    expect(events.at(-1)!.message).toMatchObject({ status: 'COMPLETE', content: REPLY, usage: { promptTokens: 321, completionTokens: 23, model: 'fake-clinical-1' } });

    const request = fake.requests[before]!.json<{ model: string; stream: boolean; stream_options: unknown; messages: Array<{ role: string; content: string }> }>();
    expect(request).toMatchObject({ model: 'fake-clinical-1', stream: true, stream_options: { include_usage: true } });
    expect(request.messages[0]!.role).toBe('system');
    expect(request.messages.at(-1)).toEqual({ role: 'user', content: 'First-line treatment for hypertension?' });

    fake.behaviour.chatReply = 'Yes.';
    const followUp = await h.send(alice, id, 'And in pregnancy?');
    await wholeReply(client, followUp.assistantMessage.id);
    const second = fake.requests.at(-1)!.json<{ messages: Array<{ role: string; content: string }> }>();
    expect(second.messages.slice(1)).toEqual([
      { role: 'user', content: 'First-line treatment for hypertension?' },
      { role: 'assistant', content: REPLY },
      { role: 'user', content: 'And in pregnancy?' },
    ]);
    await client.dispose();
  });

  it('a client reconnecting with the last index it saw misses nothing and gets nothing twice', async () => {
    fake.behaviour.chatDelayMs = 40;
    const id = await h.createConversation(alice);
    const sent = await h.send(alice, id, 'Explain slowly');
    const first = h.client(alice);
    const before = streamReply(first, sent.assistantMessage.id, undefined, (events) => events.length === 4);
    await before.finished;
    await first.dispose();
    // Tokens keep coming while the client is away.
    await sleep(200);
    const second = h.client(alice);
    const after = await wholeReply(second, sent.assistantMessage.id, before.events.at(-1)!.index);
    await second.dispose();
    const events = [...before.events, ...after];
    expectWholeStream(events);
    expect(textOf(events)).toBe(REPLY);
    expect(events.at(-1)!.message!.content).toBe(REPLY);
  });

  it('keeps generating when every client disconnects', async () => {
    fake.behaviour.chatDelayMs = 20;
    const id = await h.createConversation(alice);
    const sent = await h.send(alice, id, 'Keep going');
    const client = h.client(alice);
    await streamReply(client, sent.assistantMessage.id, undefined, (events) => events.length === 2).finished;
    await client.dispose();
    await expect.poll(async () => (await messagesOf(alice, id))[1], { timeout: 20_000, interval: 200 }).toMatchObject({ status: 'COMPLETE', content: REPLY });
  });

  it('serves a reply’s stream through a second router instance', async () => {
    fake.behaviour.chatDelayMs = 20;
    const running = h.supergraph.subgraphs;
    const supergraphSdl = composeSupergraph(
      subgraphServices.filter((s) => running[s.name]).map((s) => ({ name: s.name, url: `${running[s.name]!.url}/graphql`, typeDefs: s.module.typeDefs })),
    );
    const revocations = createInProcessRevocations(`second-router-${Date.now()}`);
    const second: Router = createRouter({
      supergraphSdl,
      verifier: createAccessTokenVerifier({ keys: { jwksUrl: `${h.supergraph.identity.url}/.well-known/jwks.json` }, issuer: 'voiceassist-identity', audience: 'voiceassist', revocations }),
      revocations,
      logger: createLogger({ service: 'router-2', level: 'silent' }),
      ...testRouterEngine,
    });
    const { url } = await second.listen(0, '127.0.0.1');
    try {
      const id = await h.createConversation(alice);
      const sent = await h.send(alice, id, 'Through the other router');
      const viaFirst = h.client(alice);
      const viaSecond = h.client(alice, `${url.replace(/^http/, 'ws')}/graphql`);
      const [a, b] = await Promise.all([wholeReply(viaFirst, sent.assistantMessage.id), wholeReply(viaSecond, sent.assistantMessage.id)]);
      expect(b).toEqual(a);
      expectWholeStream(b);
      expect(textOf(b)).toBe(REPLY);
      await Promise.all([viaFirst.dispose(), viaSecond.dispose()]);
    } finally {
      await second.close();
      await revocations.close();
    }
  });
});

describe('cancel and regenerate', () => {
  it('cancelGeneration stops the provider request and keeps the text so far, CANCELLED', async () => {
    fake.behaviour.chatDelayMs = 80;
    const stats = fakeChatStats(fake);
    const abortedBefore = stats.aborted;
    const id = await h.createConversation(alice);
    const sent = await h.send(alice, id, 'Long answer please');
    const client = h.client(alice);
    const run = streamReply(client, sent.assistantMessage.id);
    await expect.poll(() => run.events.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);

    // One reply at a time per conversation.
    expect(errorOf(await h.gql(`mutation($id: ID!) { sendMessage(conversationId: $id, content: "more") { userMessage { id } } }`, { id }, alice.accessToken)).extensions).toMatchObject({
      code: 'CONFLICT',
    });

    const { cancelGeneration } = await h.data<{ cancelGeneration: { id: string; status: string; content: string } }>(
      `mutation($id: ID!) { cancelGeneration(messageId: $id) { id status content } }`,
      { id: sent.assistantMessage.id },
      alice.accessToken,
    );
    expect(cancelGeneration.status).toBe('CANCELLED');
    expect(cancelGeneration.content.length).toBeGreaterThan(0);
    expect(REPLY.startsWith(cancelGeneration.content)).toBe(true);
    expect(cancelGeneration.content.length).toBeLessThan(REPLY.length);
    await run.finished;
    expectWholeStream(run.events);
    expect(textOf(run.events)).toBe(cancelGeneration.content);
    expect(run.events.at(-1)!.message).toMatchObject({ status: 'CANCELLED', content: cancelGeneration.content });
    await client.dispose();
    await expect.poll(() => stats.aborted, { timeout: 10_000 }).toBe(abortedBefore + 1);

    // Cancelling again changes nothing; the conversation takes messages again.
    const again = await h.data<{ cancelGeneration: { status: string; content: string } }>(
      `mutation($id: ID!) { cancelGeneration(messageId: $id) { status content } }`,
      { id: sent.assistantMessage.id },
      alice.accessToken,
    );
    expect(again.cancelGeneration).toEqual({ status: 'CANCELLED', content: cancelGeneration.content });
    fake.behaviour.chatDelayMs = 0;
    await h.send(alice, id, 'Short one then');
  });

  it('regenerate replaces a reply in its place with a new stream', async () => {
    const id = await h.createConversation(alice);
    const sent = await h.send(alice, id, 'Question');
    const client = h.client(alice);
    await wholeReply(client, sent.assistantMessage.id);
    fake.behaviour.chatReply = 'A better answer.';
    const { regenerate } = await h.data<{ regenerate: { id: string; status: string; role: string } }>(
      `mutation($id: ID!) { regenerate(messageId: $id) { id status role } }`,
      { id: sent.assistantMessage.id },
      alice.accessToken,
    );
    expect(regenerate).toMatchObject({ status: 'STREAMING', role: 'ASSISTANT' });
    expect(regenerate.id).not.toBe(sent.assistantMessage.id);
    const events = await wholeReply(client, regenerate.id);
    expectWholeStream(events);
    expect(textOf(events)).toBe('A better answer.');
    expect((await messagesOf(alice, id)).map((m) => [m.id, m.content])).toEqual([
      [sent.userMessage.id, 'Question'],
      [regenerate.id, 'A better answer.'],
    ]);
    // The replaced reply is gone.
    expect(errorOf(await h.gql(`mutation($id: ID!) { regenerate(messageId: $id) { id } }`, { id: sent.assistantMessage.id }, alice.accessToken)).extensions).toMatchObject({
      code: 'NOT_FOUND',
    });
    // Only replies can be regenerated.
    expect(errorOf(await h.gql(`mutation($id: ID!) { regenerate(messageId: $id) { id } }`, { id: sent.userMessage.id }, alice.accessToken)).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'messageId',
    });
    await client.dispose();
  });

  it('regenerating a reply still streaming stops it first; its subscribers see it end', async () => {
    fake.behaviour.chatDelayMs = 60;
    const id = await h.createConversation(alice);
    const sent = await h.send(alice, id, 'Question');
    const client = h.client(alice);
    const old = streamReply(client, sent.assistantMessage.id);
    await expect.poll(() => old.events.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    fake.behaviour.chatDelayMs = 0;
    const { regenerate } = await h.data<{ regenerate: { id: string } }>(`mutation($id: ID!) { regenerate(messageId: $id) { id } }`, { id: sent.assistantMessage.id }, alice.accessToken);
    await old.finished;
    expect(old.events.at(-1)!.done).toBe(true);
    const events = await wholeReply(client, regenerate.id);
    expect(textOf(events)).toBe(REPLY);
    expect((await messagesOf(alice, id)).map((m) => m.status)).toEqual(['COMPLETE', 'COMPLETE']);
    await client.dispose();
  });
});

describe('provider failures', () => {
  it('an error status ends the reply FAILED with PROVIDER_UNAVAILABLE on the stream; the user’s message is kept', async () => {
    fake.behaviour.chatFailStatus = 500;
    const id = await h.createConversation(alice);
    const sent = await h.send(alice, id, 'Will this fail?');
    const client = h.client(alice);
    const events = await wholeReply(client, sent.assistantMessage.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ index: 0, done: true, delta: '', error: { code: 'PROVIDER_UNAVAILABLE' }, message: { status: 'FAILED', content: '', usage: null } });
    expect(await messagesOf(alice, id)).toMatchObject([
      { id: sent.userMessage.id, role: 'USER', status: 'COMPLETE', content: 'Will this fail?' },
      { role: 'ASSISTANT', status: 'FAILED', error: { code: 'PROVIDER_UNAVAILABLE' } },
    ]);
    // Once the provider is back, the same conversation carries on.
    delete fake.behaviour.chatFailStatus;
    const retry = await h.send(alice, id, 'Again?');
    expect(textOf(await wholeReply(client, retry.assistantMessage.id))).toBe(REPLY);
    await client.dispose();
  });

  it('a stream broken midway ends FAILED, keeping exactly the text that was streamed', async () => {
    fake.behaviour.chatFailAfterChunks = 5;
    const id = await h.createConversation(alice);
    const sent = await h.send(alice, id, 'Break midway');
    const client = h.client(alice);
    const events = await wholeReply(client, sent.assistantMessage.id);
    await client.dispose();
    expectWholeStream(events);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ error: { code: 'PROVIDER_UNAVAILABLE' }, message: { status: 'FAILED' } });
    expect(textOf(events)).toBe(last.message!.content);
    expect(REPLY.startsWith(last.message!.content)).toBe(true);
    expect(last.message!.content.length).toBeGreaterThan(0);
  });

  it('a provider that stops sending fails after the idle timeout', async () => {
    fake.behaviour.chatStallAfterChunks = 3;
    const id = await h.createConversation(alice);
    const sent = await h.send(alice, id, 'Stall');
    const client = h.client(alice);
    const events = await wholeReply(client, sent.assistantMessage.id);
    await client.dispose();
    expectWholeStream(events);
    expect(events).toHaveLength(4);
    expect(events.at(-1)).toMatchObject({ error: { code: 'PROVIDER_UNAVAILABLE' }, message: { status: 'FAILED' } });
  });

  it('over budget, nothing reaches the provider', async () => {
    const root = await h.signUp('root-check');
    // The first account of this supergraph is alice (SUPERADMIN): she demotes the new one.
    const viewer = await h.withRole(alice, root, 'VIEWER');
    fake.behaviour.chatUsage = { prompt_tokens: 90, completion_tokens: 20 };
    const id = await h.createConversation(viewer);
    const first = await h.send(viewer, id, 'Spend it');
    const client = h.client(viewer);
    await wholeReply(client, first.assistantMessage.id);
    await client.dispose();
    const requests = fakeChatStats(fake).requests;
    const refused = await h.gql(`mutation($id: ID!) { sendMessage(conversationId: $id, content: "More") { userMessage { id } } }`, { id }, viewer.accessToken);
    expect(errorOf(refused).extensions).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    await sleep(100);
    expect(fakeChatStats(fake).requests).toBe(requests);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMORY_HEADING, NO_KNOWLEDGE_ANSWER } from '@voiceassist/ai';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import '@voiceassist/testkit/openai-server/chat';
import { startSupergraph } from '@voiceassist/test-supergraph';
import { errorOf } from '@voiceassist/testkit/graphql-client';
import { Harness, wholeReply, type Account } from './harness.js';

// Memory beyond the history window, through the router: with CHAT_HISTORY_MESSAGES=2 a reply
// reads only the previous question and answer as they are; a fact stated earlier reaches it
// through the user's facts (identity's settings), and older turns through the running summary.
const MEMORY = `query($id: ID!) { conversation(id: $id) { memory { summary summarizedThrough facts { key value } } } }`;

interface MemoryView {
  summary: string;
  summarizedThrough: number;
  facts: Array<{ key: string; value: string }>;
}

describe('conversation memory', () => {
  let h: Harness;
  let user: Account;

  beforeAll(async () => {
    h = new Harness(
      await startSupergraph({
        subgraphs: ['identity', 'conversation'],
        env: { identity: { AUTH_THROTTLE_PER_MINUTE: '10000' }, conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: '1', CHAT_HISTORY_MESSAGES: '2' } },
      }),
    );
    user = await h.signUp('clinician');
  }, 120_000);

  afterAll(async () => {
    await h?.supergraph.stop();
  });

  async function ask(account: Account, conversationId: string, question: string) {
    const sent = await h.send(account, conversationId, question);
    const client = h.client(account);
    const events = await wholeReply(client, sent.assistantMessage.id);
    await client.dispose();
    return events.at(-1)!.message!;
  }

  const memoryOf = async (conversationId: string) => (await h.data<{ conversation: { memory: MemoryView } }>(MEMORY, { id: conversationId }, user.accessToken)).conversation.memory;

  it('recalls a fact stated before the history window, keeps a summary of older turns, and forgets both when asked', async () => {
    const conversationId = await h.createConversation(user);
    await ask(user, conversationId, 'I am a paediatric cardiologist and my specialty is paediatric cardiology. Can we talk about murmurs?');
    await ask(user, conversationId, 'What causes an innocent murmur in children?');
    await ask(user, conversationId, 'When should a murmur be referred?');

    // The first message left the window two questions ago; the fact did not.
    const recalled = await ask(user, conversationId, 'Which specialty do I work in?');
    expect(recalled.status).toBe('COMPLETE');
    expect(recalled.content).toContain('paediatric cardiology');

    // Older turns are summarized in the background after each reply.
    await expect.poll(async () => (await memoryOf(conversationId)).summary, { timeout: 10_000, interval: 200 }).toContain('I am a paediatric cardiologist');
    const memory = await memoryOf(conversationId);
    expect(memory.summarizedThrough).toBeGreaterThanOrEqual(1);
    expect(memory.facts).toEqual(expect.arrayContaining([{ key: 'specialty', value: 'paediatric cardiology' }, { key: 'role', value: 'a paediatric cardiologist' }]));
    // Kept in identity's settings: the same facts in every conversation of the user's.
    const { me } = await h.data<{ me: { settings: { memory?: { facts?: Record<string, string> } } } }>(`{ me { settings } }`, {}, user.accessToken);
    expect(me.settings.memory?.facts?.specialty).toBe('paediatric cardiology');
    const other = await h.createConversation(user);
    expect((await ask(user, other, 'Which specialty do I work in?')).content).toContain('paediatric cardiology');

    // Erased by the user: nothing is recalled any more, and the summary does not come back.
    await h.data(`mutation($id: ID!) { forgetMemory(conversationId: $id) { id } }`, { id: conversationId }, user.accessToken);
    expect(await memoryOf(conversationId)).toMatchObject({ summary: '', facts: [] });
    expect((await ask(user, conversationId, 'Which specialty do I work in?')).content).toBe(NO_KNOWLEDGE_ANSWER);
    await ask(user, conversationId, 'Thank you.');
    expect((await memoryOf(conversationId)).summary).not.toContain('cardiologist');
  });

  it('is the owner’s alone', async () => {
    const conversationId = await h.createConversation(user);
    const stranger = await h.signUp('stranger');
    const result = await h.gql(`mutation($id: ID!) { forgetMemory(conversationId: $id) { id } }`, { id: conversationId }, stranger.accessToken);
    expect(errorOf(result).extensions).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('conversation memory with a language model', () => {
  const SUMMARY = 'Clinician is a paediatric cardiologist asking about murmurs in children.';
  let fake: FakeOpenAIServer;
  let h: Harness;
  let user: Account;

  beforeAll(async () => {
    fake = await startFakeOpenAIServer({
      chatReplyFor: (sent: Array<{ content: string }>) => (sent[0]!.content.startsWith('Update the running summary') ? SUMMARY : 'Noted.'),
    });
    h = new Harness(
      await startSupergraph({
        subgraphs: ['identity', 'conversation'],
        env: {
          identity: { AUTH_THROTTLE_PER_MINUTE: '10000' },
          conversation: { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-test', OPENAI_CHAT_MODEL: 'fake-clinical-1', CHAT_HISTORY_MESSAGES: '2' },
        },
      }),
    );
    user = await h.signUp('clinician');
  }, 120_000);

  afterAll(async () => {
    await h?.supergraph.stop();
    await fake?.close();
  });

  it('has the model write the summary, and sends it with the user’s facts in the prompt', async () => {
    const conversationId = await h.createConversation(user);
    for (const question of ['I am a paediatric cardiologist and my specialty is paediatric cardiology.', 'What causes an innocent murmur?', 'When should a murmur be referred?']) {
      const sent = await h.send(user, conversationId, question);
      const client = h.client(user);
      await wholeReply(client, sent.assistantMessage.id);
      await client.dispose();
    }
    await expect
      .poll(async () => (await h.data<{ conversation: { memory: MemoryView } }>(MEMORY, { id: conversationId }, user.accessToken)).conversation.memory.summary, { timeout: 10_000, interval: 200 })
      .toBe(SUMMARY);
    const sent = await h.send(user, conversationId, 'Which specialty do I work in?');
    const client = h.client(user);
    await wholeReply(client, sent.assistantMessage.id);
    await client.dispose();
    const prompts = fake.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.json<{ messages: Array<{ role: string; content: string }> }>().messages);
    const last = prompts.findLast((m) => m.at(-1)!.content === 'Which specialty do I work in?')!;
    const memory = last.find((m) => m.role === 'system' && m.content.startsWith(MEMORY_HEADING))!;
    expect(memory.content).toContain('The user’s specialty is paediatric cardiology.');
    expect(memory.content).toContain(SUMMARY);
    // The first message itself is outside the window: only memory carries it.
    expect(last.some((m) => m.role === 'user' && m.content.startsWith('I am a paediatric cardiologist'))).toBe(false);

    // Writing the summary cost tokens beyond the replies', and they count against the user's budget.
    const { me, conversation } = await h.data<{ me: { usage: { tokens: number } }; conversation: { messages: { edges: Array<{ node: { usage: { promptTokens: number; completionTokens: number } | null } }> } } }>(
      `query($id: ID!) { me { usage { tokens } } conversation(id: $id) { messages { edges { node { usage { promptTokens completionTokens } } } } } }`,
      { id: conversationId },
      user.accessToken,
    );
    const replies = conversation.messages.edges.reduce((n, e) => n + (e.node.usage ? e.node.usage.promptTokens + e.node.usage.completionTokens : 0), 0);
    expect(me.usage.tokens).toBeGreaterThan(replies);
  });
});

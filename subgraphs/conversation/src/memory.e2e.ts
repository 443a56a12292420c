import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_KNOWLEDGE_ANSWER } from '@voiceassist/ai';
import { startSupergraph } from '@voiceassist/testkit';
import { errorOf } from '@voiceassist/testkit/graphql-client';
import { Harness, wholeReply, type Account } from './testing/harness.js';

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

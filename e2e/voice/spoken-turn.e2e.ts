import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWav, pcmToWav } from '@voiceassist/ai';
import type { TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf, errorOf } from '@voiceassist/testkit/graphql-client';
import { graphqlWsClient, subscribe } from '@voiceassist/testkit/graphql-ws-client';
import { speakableText } from '@voiceassist/voice/speech';
import { startWithMembers, type Account } from './accounts.js';

// A spoken turn through the real router with the embedded engines: espeak-ng speaks the
// question, pocketsphinx hears it, the embedded language model answers, and the answer comes
// back as audio sentence by sentence while it streams. PGlite and in-process pub/sub, or
// PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set.
let supergraph: TestSupergraph;
let alice: Account;
let bob: Account;

const QUESTION = 'what is the usual dose of aspirin';
const ASK = `mutation Ask($conversationId: ID!, $audio: AudioInput!) { askByVoice(conversationId: $conversationId, audio: $audio, useKnowledge: false) {
  transcription { text rawText confidence }
  userMessage { id role content }
  assistantMessage { id status }
  clarification { reason text speech { mimeType durationMs } } } }`;
const SPEECH = `subscription Speech($messageId: ID!, $afterIndex: Int) { speechStream(messageId: $messageId, afterIndex: $afterIndex) {
  messageId index text done audio { mimeType base64 durationMs voice } } }`;
const TOKENS = 'subscription Tokens($messageId: ID!) { messageStream(messageId: $messageId) { index delta done message { content status } } }';

interface AskResult {
  transcription: { text: string; rawText: string; confidence: number | null };
  userMessage: { id: string; role: string; content: string } | null;
  assistantMessage: { id: string; status: string } | null;
  clarification: { reason: string; text: string; speech: { mimeType: string; durationMs: number } } | null;
}
interface SpeechChunk {
  messageId: string;
  index: number;
  text: string;
  done: boolean;
  audio: { mimeType: string; base64: string; durationMs: number; voice: string } | null;
}

async function conversationOf(account: Account): Promise<string> {
  return dataOf(await supergraph.request<{ createConversation: { id: string } }>('mutation { createConversation(title: "Rounds") { id } }', {}, { token: account.token })).createConversation.id;
}

async function spoken(text: string): Promise<string> {
  return dataOf(await supergraph.request<{ synthesize: { base64: string } }>('mutation S($text: String!) { synthesize(text: $text, voice: "en-us+klatt", rate: 1) { base64 } }', { text }, { token: alice.token })).synthesize.base64;
}

const ask = (account: Account, conversationId: string, base64: string) =>
  supergraph.request<{ askByVoice: AskResult }>(ASK, { conversationId, audio: { base64, mimeType: 'audio/wav' } }, { token: account.token });

/** The chunks' audio played one after the other, as one WAV. */
function concatenated(chunks: SpeechChunk[]): Buffer {
  const wavs = chunks.map((c) => Buffer.from(c.audio!.base64, 'base64'));
  const infos = wavs.map((w) => parseWav(w)!);
  return pcmToWav(Buffer.concat(wavs.map((w, i) => w.subarray(infos[i]!.dataOffset, infos[i]!.dataOffset + infos[i]!.dataLength))), infos[0]!.sampleRate);
}

beforeAll(async () => {
  ({ supergraph, alice, bob } = await startWithMembers({ subgraphs: ['identity', 'conversation', 'voice'] }));
}, 120_000);

afterAll(async () => {
  await supergraph?.stop();
});

describe('askByVoice and speechStream through the router', () => {
  it('stores the spoken question with its transcript, starts the reply, and speaks it sentence by sentence while it streams', async () => {
    const conversationId = await conversationOf(alice);
    const turn = dataOf(await ask(alice, conversationId, await spoken(QUESTION))).askByVoice;
    expect(turn.clarification).toBeNull();
    expect(turn.transcription.text).toContain('aspirin');
    expect(turn.userMessage).toEqual({ id: expect.any(String), role: 'USER', content: turn.transcription.text });
    expect(turn.assistantMessage).toMatchObject({ status: 'STREAMING' });
    const messageId = turn.assistantMessage!.id;

    const { client } = graphqlWsClient(supergraph.wsUrl, alice.token);
    try {
      const tokens = subscribe<{ messageStream: { index: number; delta: string; done: boolean; message: { content: string } | null } }>(client, TOKENS, { messageId });
      const speech = subscribe<{ speechStream: SpeechChunk }>(client, SPEECH, { messageId });
      expect(await tokens.ended).toEqual({ kind: 'complete' });
      expect(await speech.ended).toEqual({ kind: 'complete' });
      const reply = tokens.data.at(-1)!.messageStream.message!.content;
      const chunks = speech.data.map((d) => d.speechStream);
      const spokenChunks = chunks.filter((c) => !c.done);
      expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
      expect(chunks.at(-1)).toMatchObject({ done: true, audio: null, text: '', index: spokenChunks.length });
      expect(spokenChunks.length).toBeGreaterThanOrEqual(2);
      // Played in order, the chunks say the whole reply.
      expect(spokenChunks.map((c) => c.text).join(' ')).toBe(speakableText(reply).replace(/\s+/g, ' ').trim());
      for (const chunk of spokenChunks) {
        expect(chunk.audio).toMatchObject({ mimeType: 'audio/wav', voice: 'en-us+klatt' });
        expect(parseWav(Buffer.from(chunk.audio!.base64, 'base64'))?.durationMs).toBe(chunk.audio!.durationMs);
      }
      const whole = concatenated(spokenChunks);
      expect(parseWav(whole)!.durationMs).toBe(spokenChunks.reduce((sum, c) => sum + c.audio!.durationMs, 0));
      const heard = dataOf(
        await supergraph.request<{ transcribe: { text: string } }>('mutation T($audio: AudioInput!) { transcribe(audio: $audio) { text } }', { audio: { base64: whole.toString('base64'), mimeType: 'audio/wav' } }, { token: alice.token }),
      ).transcribe.text;
      const replyWords = new Set(reply.toLowerCase().match(/[a-z]+/g));
      const recognized = new Set(heard.toLowerCase().split(/\s+/).filter((w) => replyWords.has(w)));
      // pocketsphinx hears espeak-ng roughly (about half the words): a third is well above chance.
      expect(recognized.size).toBeGreaterThanOrEqual(replyWords.size / 3);

      // Reconnecting after chunk 0 misses nothing, and the audio comes from the cache.
      const resumed = subscribe<{ speechStream: SpeechChunk }>(client, SPEECH, { messageId, afterIndex: 0 });
      expect(await resumed.ended).toEqual({ kind: 'complete' });
      const rest = resumed.data.map((d) => d.speechStream);
      expect(rest.map((c) => c.index)).toEqual(chunks.slice(1).map((c) => c.index));
      expect(rest.map((c) => c.audio?.base64)).toEqual(chunks.slice(1).map((c) => c.audio?.base64));
    } finally {
      await client.dispose();
    }
    // Three pocketsphinx runs (the question, the reply's audio), seconds each on a busy machine.
  }, 120_000);

  it('answers silence with a clarification request and sends nothing to the language model', async () => {
    const conversationId = await conversationOf(alice);
    const silence = pcmToWav(Buffer.alloc(16_000 * 2), 16_000).toString('base64');
    const turn = dataOf(await ask(alice, conversationId, silence)).askByVoice;
    expect(turn).toMatchObject({ userMessage: null, assistantMessage: null, transcription: { text: '' } });
    expect(turn.clarification).toMatchObject({ reason: 'NOTHING_HEARD', text: expect.stringContaining("didn't catch that"), speech: { mimeType: 'audio/wav' } });
    expect(turn.clarification!.speech.durationMs).toBeGreaterThan(1000);
    const messages = dataOf(await supergraph.request<{ conversation: { messages: { edges: unknown[] } } }>('query C($id: ID!) { conversation(id: $id) { messages { edges { node { id } } } } }', { id: conversationId }, { token: alice.token }));
    expect(messages.conversation.messages.edges).toEqual([]);
  });

  it("keeps a conversation and its reply's speech to their owner", async () => {
    const conversationId = await conversationOf(alice);
    const question = await spoken(QUESTION);
    expect(errorOf(await ask(bob, conversationId, question)).code).toBe('NOT_FOUND');
    const turn = dataOf(await ask(alice, conversationId, question)).askByVoice;
    const { client } = graphqlWsClient(supergraph.wsUrl, bob.token);
    try {
      const refused = subscribe(client, SPEECH, { messageId: turn.assistantMessage!.id });
      const end = await refused.ended;
      expect(JSON.stringify(end.kind === 'error' ? end.error : refused.results)).toContain('NOT_FOUND');
    } finally {
      await client.dispose();
    }
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf } from '@voiceassist/testkit/graphql-client';
import { graphqlWsClient, subscribe } from '@voiceassist/testkit/graphql-ws-client';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import '@voiceassist/testkit/openai-server/audio';
import { waitUntil } from '@voiceassist/testkit/wait';
import { startWithMembers, type Account } from './accounts.js';

// Voice mode through the real router on the OpenAI-compatible speech path: voice commands and
// live dictation events, a spoken turn with its reply's speech streamed, and repair. Speech comes
// from the test kit's OpenAI-compatible server, whose recognizer hears exactly what its own
// speech said, so each command is tested as spoken (pocketsphinx mishears short commands).
let fake: FakeOpenAIServer;
let supergraph: TestSupergraph;
let alice: Account;
let bob: Account;

const SESSION = 'id status chunkCount transcript rawTranscript section';
const EVENTS = `subscription Live($sessionId: ID!, $afterChunk: Int) { dictationEvents(sessionId: $sessionId, afterChunk: $afterChunk) {
  sessionId chunkIndex text commands { command section } section transcript status noteId phiFindings { kind start end } } }`;

interface DictationEvent {
  sessionId: string;
  chunkIndex: number | null;
  text: string;
  commands: Array<{ command: string; section: string }>;
  section: string | null;
  transcript: string;
  status: string;
  noteId: string | null;
  phiFindings: Array<{ kind: string; start: number; end: number }>;
}
interface Session {
  id: string;
  status: string;
  chunkCount: number;
  transcript: string;
  rawTranscript: string;
  section: string | null;
}

async function start(account: Account, kind: 'SOAP' | 'FREE_TEXT' = 'SOAP'): Promise<Session> {
  return dataOf(await supergraph.request<{ startDictation: Session }>(`mutation S($kind: NoteKind) { startDictation(kind: $kind) { ${SESSION} } }`, { kind }, { token: account.token })).startDictation;
}

/** Speaks `text` (the fake engine's WAV carries it) and appends the audio as one chunk. */
async function say(account: Account, sessionId: string, text: string): Promise<Session> {
  const speech = dataOf(await supergraph.request<{ synthesize: { base64: string } }>('mutation S($text: String!) { synthesize(text: $text) { base64 } }', { text }, { token: account.token })).synthesize;
  const appended = await supergraph.request<{ appendDictation: Session }>(
    `mutation A($sessionId: ID!, $audio: AudioInput) { appendDictation(sessionId: $sessionId, audio: $audio) { ${SESSION} } }`,
    { sessionId, audio: { base64: speech.base64, mimeType: 'audio/wav' } },
    { token: account.token },
  );
  return dataOf(appended).appendDictation;
}

beforeAll(async () => {
  fake = await startFakeOpenAIServer();
  ({ supergraph, alice, bob } = await startWithMembers({ subgraphs: ['identity', 'conversation', 'voice'], env: { voice: { OPENAI_BASE_URL: fake.baseUrl } } }));
}, 120_000);

afterAll(async () => {
  await supergraph?.stop();
  await fake?.close();
});

describe('voice commands in dictation, through the router', () => {
  it('acts on each command and keeps the raw transcript beside the edited note', async () => {
    const session = await start(alice);
    await say(alice, session.id, 'patient reports a cough for two days period no fever comma no chills period');
    await say(alice, session.id, 'this sentence is wrong period delete last sentence');
    await say(alice, session.id, 'new line she smokes ten cigarettes a day period next section');
    const now = await say(alice, session.id, 'lungs clear period temperature thirty seven point two degrees celsius period go to plan');
    expect(now).toMatchObject({ status: 'ACTIVE', chunkCount: 4, section: 'PLAN' });
    expect(now.transcript).toBe('Patient reports a cough for two days. No fever, no chills.\nShe smokes 10 cigarettes a day.\n\nLungs clear. Temperature 37.2 °C.');
    expect(now.rawTranscript.split('\n')[1]).toBe('this sentence is wrong period delete last sentence');
    await say(alice, session.id, 'paracetamol five hundred milligrams as needed period');
    await say(alice, session.id, 'oops undo');
    await say(alice, session.id, 'go to assessment viral upper respiratory infection period');
    const stopped = await say(alice, session.id, 'stop dictation');
    expect(stopped).toMatchObject({ status: 'FINISHED', chunkCount: 8, transcript: '', section: null });

    const note = dataOf(
      await supergraph.request<{ dictationSession: { note: { sections: Array<{ kind: string; text: string }>; transcript: string; rawTranscript: string; generatedBy: string } } }>(
        'query Q($id: ID!) { dictationSession(id: $id) { note { sections { kind text } transcript rawTranscript generatedBy } } }',
        { id: session.id },
        { token: alice.token },
      ),
    ).dictationSession.note;
    expect(note.generatedBy).toBe('voice-commands');
    expect(note.sections).toEqual([
      { kind: 'SUBJECTIVE', text: 'Patient reports a cough for two days. No fever, no chills.\nShe smokes 10 cigarettes a day.' },
      { kind: 'OBJECTIVE', text: 'Lungs clear. Temperature 37.2 °C.' },
      { kind: 'ASSESSMENT', text: 'Viral upper respiratory infection.' },
      { kind: 'PLAN', text: 'Paracetamol 500 mg PRN.' },
    ]);
    // "oops undo": the undo took back "oops", the step before it.
    expect(note.rawTranscript.split('\n')).toHaveLength(8);
    expect(note.rawTranscript).toContain('oops undo');
  });

  it('takes "new paragraph" and a free-text note', async () => {
    const session = await start(alice, 'FREE_TEXT');
    await say(alice, session.id, 'first thought period new paragraph second thought');
    const done = dataOf(await supergraph.request<{ finishDictation: { sections: Array<{ kind: string; text: string }>; transcript: string } }>('mutation F($id: ID!) { finishDictation(sessionId: $id) { sections { kind text } transcript } }', { id: session.id }, { token: alice.token })).finishDictation;
    expect(done.sections).toEqual([{ kind: 'NOTE', text: 'First thought.\n\nSecond thought' }]);
  });
});

describe('dictationEvents through the router', () => {
  it('delivers a partial per chunk as it is stored, then the end, and replays after a reconnect', async () => {
    const session = await start(alice);
    const { client } = graphqlWsClient(supergraph.wsUrl, alice.token);
    try {
      const run = subscribe<{ dictationEvents: DictationEvent }>(client, EVENTS, { sessionId: session.id });
      // Whenever the stream opens, chunks stored before it are replayed: no race with the first one.
      await say(alice, session.id, 'cough for two days period');
      await waitUntil(() => run.data.length === 1);
      expect(run.data[0]!.dictationEvents).toMatchObject({ chunkIndex: 0, text: 'Cough for two days', commands: [{ command: 'PERIOD', section: 'SUBJECTIVE' }], section: 'SUBJECTIVE', transcript: 'Cough for two days.', status: 'ACTIVE' });
      await say(alice, session.id, 'next section lungs clear');
      await waitUntil(() => run.data.length === 2);
      expect(run.data[1]!.dictationEvents).toMatchObject({ chunkIndex: 1, text: 'Lungs clear', commands: [{ command: 'NEXT_SECTION', section: 'OBJECTIVE' }], section: 'OBJECTIVE' });

      // A client that reconnects after chunk 0 gets chunk 1 again, then follows live.
      const again = subscribe<{ dictationEvents: DictationEvent }>(client, EVENTS, { sessionId: session.id, afterChunk: 0 });
      await waitUntil(() => again.data.length === 1);
      expect(again.data[0]!.dictationEvents).toMatchObject({ chunkIndex: 1, text: 'Lungs clear' });

      await say(alice, session.id, 'stop dictation');
      expect(await run.ended).toEqual({ kind: 'complete' });
      expect(await again.ended).toEqual({ kind: 'complete' });
      const events = run.data.map((d) => d.dictationEvents);
      expect(events.map((e) => [e.chunkIndex, e.status])).toEqual([[0, 'ACTIVE'], [1, 'ACTIVE'], [2, 'ACTIVE'], [null, 'FINISHED']]);
      expect(events[2]!.commands).toEqual([{ command: 'STOP_DICTATION', section: 'OBJECTIVE' }]);
      expect(events[3]!.noteId).toMatch(/^[0-9a-f-]{36}$/);
      expect(again.data.map((d) => d.dictationEvents.chunkIndex)).toEqual([1, 2, null]);

      // Someone else's session does not exist for them.
      const { client: bobs } = graphqlWsClient(supergraph.wsUrl, bob.token);
      const refused = subscribe(bobs, EVENTS, { sessionId: session.id });
      const end = await refused.ended;
      await bobs.dispose();
      expect(JSON.stringify(end.kind === 'error' ? end.error : refused.results)).toContain('NOT_FOUND');
    } finally {
      await client.dispose();
    }
  });

  it('flags protected health information in each event as the note grows (live PHI monitoring)', async () => {
    const session = await start(alice, 'FREE_TEXT');
    const { client } = graphqlWsClient(supergraph.wsUrl, alice.token);
    try {
      const run = subscribe<{ dictationEvents: DictationEvent }>(client, EVENTS, { sessionId: session.id });
      await say(alice, session.id, 'patient reports a mild headache');
      await waitUntil(() => run.data.length === 1);
      expect(run.data[0]!.dictationEvents.phiFindings).toEqual([]);
      await say(alice, session.id, 'seen with mister alvarez medical record number 7 7 4 1 2 2 9');
      await waitUntil(() => run.data.length === 2);
      const event = run.data[1]!.dictationEvents;
      const found = event.phiFindings.map((finding) => [finding.kind, event.transcript.slice(finding.start, finding.end)]);
      expect(found.map(([kind]) => kind).sort()).toEqual(['MRN', 'NAME']);
      expect(found.find(([kind]) => kind === 'NAME')![1]!.toLowerCase()).toContain('alvarez');
      expect(found.find(([kind]) => kind === 'MRN')![1]!.replace(/\D/g, '')).toBe('7741229');
    } finally {
      await client.dispose();
    }
  });
});

describe('a spoken turn through the router', () => {
  it('sends the question, and speaks the reply sentence by sentence in the OpenAI-compatible voice', async () => {
    const conversationId = dataOf(await supergraph.request<{ createConversation: { id: string } }>('mutation { createConversation { id } }', {}, { token: alice.token })).createConversation.id;
    const question = dataOf(await supergraph.request<{ synthesize: { base64: string } }>('mutation S($text: String!) { synthesize(text: $text) { base64 } }', { text: 'what is the dose of metformin' }, { token: alice.token })).synthesize;
    const turn = dataOf(
      await supergraph.request<{ askByVoice: { userMessage: { content: string }; assistantMessage: { id: string } } }>(
        'mutation A($id: ID!, $audio: AudioInput!) { askByVoice(conversationId: $id, audio: $audio, useKnowledge: false) { userMessage { content } assistantMessage { id } } }',
        { id: conversationId, audio: { base64: question.base64, mimeType: 'audio/wav' } },
        { token: alice.token },
      ),
    ).askByVoice;
    expect(turn.userMessage.content).toBe('what is the dose of metformin');
    const { client } = graphqlWsClient(supergraph.wsUrl, alice.token);
    try {
      const speech = subscribe<{ speechStream: { index: number; text: string; done: boolean; audio: { base64: string; voice: string } | null } }>(
        client,
        'subscription S($id: ID!) { speechStream(messageId: $id) { index text done audio { base64 voice } } }',
        { id: turn.assistantMessage.id },
      );
      expect(await speech.ended).toEqual({ kind: 'complete' });
      const chunks = speech.data.map((d) => d.speechStream);
      expect(chunks.at(-1)).toMatchObject({ done: true, audio: null });
      const spoken = chunks.filter((c) => !c.done);
      expect(spoken.length).toBeGreaterThanOrEqual(2);
      const reply = dataOf(await supergraph.request<{ conversation: { messages: { edges: Array<{ node: { content: string } }> } } }>('query C($id: ID!) { conversation(id: $id) { messages { edges { node { content } } } } }', { id: conversationId }, { token: alice.token }));
      expect(spoken.map((c) => c.text).join(' ')).toBe(reply.conversation.messages.edges[1]!.node.content);
      // Each chunk's audio says its sentence (the fake's recognizer reads it back).
      for (const chunk of spoken) {
        expect(chunk.audio?.voice).toBe('alloy');
        const heard = dataOf(await supergraph.request<{ transcribe: { rawText: string } }>('mutation T($audio: AudioInput!) { transcribe(audio: $audio) { rawText } }', { audio: { base64: chunk.audio!.base64, mimeType: 'audio/wav' } }, { token: alice.token })).transcribe;
        expect(heard.rawText).toBe(chunk.text);
      }
    } finally {
      await client.dispose();
    }
  });

  it('answers a question heard with low confidence with a clarification request', async () => {
    // exp(-3): a confidence of 0.05, under the default threshold of 0.2.
    fake.behaviour.transcriptLogprob = -3;
    const conversationId = dataOf(await supergraph.request<{ createConversation: { id: string } }>('mutation { createConversation { id } }', {}, { token: alice.token })).createConversation.id;
    const speech = dataOf(await supergraph.request<{ synthesize: { base64: string } }>('mutation S($text: String!) { synthesize(text: $text) { base64 } }', { text: 'what is the dose of metformin' }, { token: alice.token })).synthesize;
    const turn = dataOf(
      await supergraph.request<{ askByVoice: { transcription: { text: string; confidence: number }; userMessage: null; clarification: { reason: string; text: string } } }>(
        'mutation A($id: ID!, $audio: AudioInput!) { askByVoice(conversationId: $id, audio: $audio) { transcription { text confidence } userMessage { id } clarification { reason text } } }',
        { id: conversationId, audio: { base64: speech.base64, mimeType: 'audio/wav' } },
        { token: alice.token },
      ),
    ).askByVoice;
    expect(turn).toEqual({
      transcription: { text: 'what is the dose of metformin', confidence: 0.05 },
      userMessage: null,
      clarification: { reason: 'LOW_CONFIDENCE', text: expect.stringContaining("didn't catch that") },
    });
    delete fake.behaviour.transcriptLogprob;
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWav, sniffAudio } from '@voiceassist/ai';
import { createLogger } from '@voiceassist/logging';
import { subgraphServices } from '@voiceassist/services';
import { graphqlRequest } from '@voiceassist/testkit';
import type { TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf, errorOf } from '@voiceassist/testkit/graphql-client';
import { signUp, startWithMembers, type Account } from './accounts.js';

// The real router, identity, conversation and voice over real HTTP, with the embedded speech
// engines (espeak-ng, pocketsphinx, sox from Debian packages). PGlite in memory, or PostgreSQL
// and Redis when CI sets DATABASE_URL / REDIS_URL.
const hasConversation = subgraphServices.some((s) => s.name === 'conversation');
const SENTENCE = 'hello world this is a test';
const MAX_BYTES = 400_000;
const logLines: string[] = [];

let supergraph: TestSupergraph;
let alice: Account;
let bob: Account;

const AUDIO_FIELDS = 'mimeType base64 durationMs voice format rate';

function synthesize(token: string, variables: Record<string, unknown>) {
  return supergraph.request<{ synthesize: { mimeType: string; base64: string; durationMs: number; voice: string; format: string; rate: number } }>(
    `mutation Speak($text: String!, $voice: String, $format: AudioFormat, $rate: Float) {
      synthesize(text: $text, voice: $voice, format: $format, rate: $rate) { ${AUDIO_FIELDS} } }`,
    variables,
    { token },
  );
}

function transcribe(token: string, audio: Record<string, unknown>) {
  return supergraph.request<{ transcribe: { text: string; language: string | null; confidence: number | null; durationMs: number } }>(
    'mutation Hear($audio: AudioInput!) { transcribe(audio: $audio) { text language confidence durationMs } }',
    { audio },
    { token },
  );
}

const words = (text: string) => new Set(text.toLowerCase().split(/\s+/).filter(Boolean));
const recognized = (text: string) => [...words(SENTENCE)].filter((w) => words(text).has(w)).length;

beforeAll(async () => {
  ({ supergraph, alice, bob } = await startWithMembers({
    subgraphs: ['identity', ...(hasConversation ? ['conversation'] : []), 'voice'],
    env: { voice: { TRANSCRIBE_MAX_BYTES: String(MAX_BYTES), TRANSCRIBE_MAX_SECONDS: '3' } },
    loggers: { voice: createLogger({ service: 'voice', level: 'debug', destination: { write: (line: string) => void logLines.push(line) } }) },
  }));
}, 120_000);

afterAll(async () => {
  await supergraph?.stop();
});

describe('speech through the router', () => {
  it('lists the engine voices, and default preferences for a new user', async () => {
    const { voices, voicePreferences } = dataOf(
      await supergraph.request<{ voices: Array<{ id: string; name: string; language: string }>; voicePreferences: { voice: string; rate: number; updatedAt: string | null } }>(
        '{ voices { id name language } voicePreferences { voice rate updatedAt } }',
        {},
        { token: alice.token },
      ),
    );
    expect(voices).toContainEqual({ id: 'en-us', name: 'English (America)', language: 'en-us' });
    expect(voices.map((v) => v.id)).toContain('en-us+klatt');
    expect(voicePreferences).toEqual({ voice: 'en-us+klatt', rate: 1, updatedAt: null });
  });

  it('asks who is calling', async () => {
    expect(errorOf(await supergraph.request('{ voices { id } }')).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await synthesize('', { text: SENTENCE })).code).toBe('UNAUTHENTICATED');
  });

  it('synthesizes a valid WAV, and serves repeated playback from cache', async () => {
    const first = dataOf(await synthesize(alice.token, { text: SENTENCE })).synthesize;
    const audio = Buffer.from(first.base64, 'base64');
    expect(first).toMatchObject({ mimeType: 'audio/wav', voice: 'en-us+klatt', format: 'WAV', rate: 1 });
    expect(audio.toString('latin1', 0, 4)).toBe('RIFF');
    expect(audio.toString('latin1', 8, 12)).toBe('WAVE');
    expect(parseWav(audio)?.durationMs).toBe(first.durationMs);
    expect(first.durationMs).toBeGreaterThan(1000);
    // espeak-ng's klatt voice adds random noise: byte-identical audio means it came from the cache.
    const again = dataOf(await synthesize(bob.token, { text: SENTENCE })).synthesize;
    expect(again.base64).toBe(first.base64);
  });

  it('speaks MP3 and OGG when asked', async () => {
    for (const format of ['MP3', 'OGG'] as const) {
      const speech = dataOf(await synthesize(alice.token, { text: 'take one tablet daily', format })).synthesize;
      expect(speech.mimeType).toBe(format === 'MP3' ? 'audio/mpeg' : 'audio/ogg');
      expect(sniffAudio(Buffer.from(speech.base64, 'base64'))?.container).toBe(format.toLowerCase());
      expect(speech.durationMs).toBeGreaterThan(500);
    }
  });

  it('transcribes speech it synthesized back into the same words', async () => {
    const speech = dataOf(await synthesize(alice.token, { text: SENTENCE, voice: 'en-us+klatt', rate: 1 })).synthesize;
    const heard = dataOf(await transcribe(alice.token, { base64: speech.base64, mimeType: 'audio/wav' })).transcribe;
    expect(recognized(heard.text)).toBeGreaterThanOrEqual(5);
    expect(heard.language).toBe('en');
    expect(heard.confidence).toBeGreaterThan(0);
    expect(Math.abs(heard.durationMs - speech.durationMs)).toBeLessThan(100);
  });

  it('hears a drug name the stock pocketsphinx model lacks, through the lexicon', async () => {
    const speech = dataOf(await synthesize(alice.token, { text: 'continue lisinopril daily', voice: 'en-us+klatt', rate: 1 })).synthesize;
    const heard = dataOf(await transcribe(alice.token, { base64: speech.base64, mimeType: 'audio/wav' })).transcribe;
    expect(heard.text).toContain('lisinopril');
  });

  it('refuses invalid, oversize, too long and unsupported audio, naming the field', async () => {
    const garbage = Buffer.concat([Buffer.from('RIFF\u0000\u0000\u0000\u0000WAVE', 'latin1'), Buffer.alloc(2000, 3)]).toString('base64');
    const invalid = errorOf(await transcribe(alice.token, { base64: garbage, mimeType: 'audio/wav' }));
    expect(invalid).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audio.base64' });

    const notAudio = errorOf(await transcribe(alice.token, { base64: Buffer.from('just some text, not audio').toString('base64'), mimeType: 'audio/ogg' }));
    expect(notAudio).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audio.base64', extensions: expect.objectContaining({ reason: 'INVALID_AUDIO' }) });

    const notBase64 = errorOf(await transcribe(alice.token, { base64: '***', mimeType: 'audio/wav' }));
    expect(notBase64).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audio.base64' });

    const oversize = errorOf(await transcribe(alice.token, { base64: Buffer.alloc(MAX_BYTES + 1000).toString('base64'), mimeType: 'audio/wav' }));
    expect(oversize).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audio.base64', extensions: expect.objectContaining({ reason: 'TOO_LARGE' }) });

    const slow = dataOf(await synthesize(alice.token, { text: SENTENCE, rate: 0.5 })).synthesize;
    expect(slow.durationMs).toBeGreaterThan(3000);
    const tooLong = errorOf(await transcribe(alice.token, { base64: slow.base64, mimeType: 'audio/wav' }));
    expect(tooLong).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audio.base64', extensions: expect.objectContaining({ reason: 'TOO_LONG' }) });

    const flac = errorOf(await transcribe(alice.token, { base64: slow.base64, mimeType: 'audio/flac' }));
    expect(flac).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audio.mimeType' });
    expect(flac.message).toContain('audio/webm');

    const mislabelled = errorOf(await transcribe(alice.token, { base64: slow.base64, mimeType: 'audio/mpeg' }));
    expect(mislabelled).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audio.mimeType' });

    const german = errorOf(await transcribe(alice.token, { base64: slow.base64, mimeType: 'audio/wav', language: 'de' }));
    expect(german).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audio.language' });
  });

  it('refuses empty and overlong text, unknown voices and rates out of range', async () => {
    expect(errorOf(await synthesize(alice.token, { text: '   ' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    expect(errorOf(await synthesize(alice.token, { text: 'a'.repeat(4001) }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    expect(errorOf(await synthesize(alice.token, { text: SENTENCE, voice: 'nobody' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'voice' });
    expect(errorOf(await synthesize(alice.token, { text: SENTENCE, rate: 5 }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'rate' });
  });
});

describe('voice preferences through the router', () => {
  const UPDATE = 'mutation Prefs($input: VoicePreferencesInput!) { updateVoicePreferences(input: $input) { voice rate updatedAt } }';

  it('are stored per user and applied when a request names no voice or rate', async () => {
    const carol = await signUp(supergraph.request, 'carol');
    const text = 'the patient is resting comfortably';
    const normal = dataOf(await synthesize(carol.token, { text })).synthesize;

    const updated = dataOf(await supergraph.request<{ updateVoicePreferences: { voice: string; rate: number; updatedAt: string } }>(UPDATE, { input: { voice: 'en-us+m3', rate: 1.5 } }, { token: carol.token })).updateVoicePreferences;
    expect(updated).toMatchObject({ voice: 'en-us+m3', rate: 1.5 });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(0);

    const preferred = dataOf(await synthesize(carol.token, { text })).synthesize;
    expect(preferred).toMatchObject({ voice: 'en-us+m3', rate: 1.5 });
    expect(preferred.durationMs).toBeLessThan(normal.durationMs * 0.85);
    // Arguments win over preferences.
    expect(dataOf(await synthesize(carol.token, { text, voice: 'en-gb', rate: 1 })).synthesize).toMatchObject({ voice: 'en-gb', rate: 1 });
    // Someone else's preferences are untouched.
    expect(dataOf(await synthesize(bob.token, { text })).synthesize).toMatchObject({ voice: 'en-us+klatt', rate: 1 });

    // Absent leaves a setting; null resets it.
    expect(dataOf(await supergraph.request<{ updateVoicePreferences: { voice: string; rate: number } }>(UPDATE, { input: { rate: null } }, { token: carol.token })).updateVoicePreferences).toMatchObject({ voice: 'en-us+m3', rate: 1 });
    expect(dataOf(await supergraph.request<{ voicePreferences: { voice: string } }>('{ voicePreferences { voice } }', {}, { token: carol.token })).voicePreferences.voice).toBe('en-us+m3');
  });

  it('refuse unknown voices and rates outside 0.5 to 2', async () => {
    expect(errorOf(await supergraph.request(UPDATE, { input: { voice: 'klingon' } }, { token: alice.token }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.voice' });
    expect(errorOf(await supergraph.request(UPDATE, { input: { rate: 0.1 } }, { token: alice.token }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.rate' });
  });
});

describe('dictation through the router', () => {
  const SESSION = 'id kind status chunkCount transcript durationMs createdAt updatedAt expiresAt';
  const NOTE = 'id kind sections { kind title text } text transcript generatedBy dictationSessionId createdAt';
  const ENCOUNTER = [
    'Patient is a 54 year old man who complains of chest pain for two days. He denies shortness of breath.',
    'On exam blood pressure is 150 over 90 and heart rate is 88. Lungs are clear.',
    'Impression is stable angina. Plan: start aspirin 81 mg daily, order an ECG and follow up in one week.',
  ];

  const start = (token: string) =>
    supergraph.request<{ startDictation: { id: string; kind: string; status: string; chunkCount: number } }>(`mutation { startDictation { ${SESSION} } }`, {}, { token });
  const append = (token: string, sessionId: string, chunk: { text?: string; audio?: Record<string, unknown> }) =>
    supergraph.request<{ appendDictation: { id: string; status: string; chunkCount: number; transcript: string; durationMs: number } }>(
      `mutation Append($sessionId: ID!, $text: String, $audio: AudioInput) { appendDictation(sessionId: $sessionId, text: $text, audio: $audio) { ${SESSION} } }`,
      { sessionId, ...chunk },
      { token },
    );
  const finish = (token: string, sessionId: string) =>
    supergraph.request<{ finishDictation: { id: string; kind: string; sections: Array<{ kind: string; title: string; text: string }>; text: string; transcript: string; generatedBy: string; dictationSessionId: string } }>(
      `mutation Finish($sessionId: ID!) { finishDictation(sessionId: $sessionId) { ${NOTE} } }`,
      { sessionId },
      { token },
    );

  it('turns a three-chunk encounter into a SOAP note', async () => {
    const session = dataOf(await start(alice.token)).startDictation;
    expect(session).toMatchObject({ kind: 'SOAP', status: 'ACTIVE', chunkCount: 0 });
    for (const [i, text] of ENCOUNTER.entries()) {
      expect(dataOf(await append(alice.token, session.id, { text })).appendDictation).toMatchObject({ chunkCount: i + 1, status: 'ACTIVE' });
    }
    const note = dataOf(await finish(alice.token, session.id)).finishDictation;
    expect(note.sections).toEqual([
      { kind: 'SUBJECTIVE', title: 'Subjective', text: ENCOUNTER[0] },
      { kind: 'OBJECTIVE', title: 'Objective', text: ENCOUNTER[1] },
      { kind: 'ASSESSMENT', title: 'Assessment', text: 'Impression is stable angina.' },
      { kind: 'PLAN', title: 'Plan', text: 'Start aspirin 81 mg daily, order an ECG and follow up in one week.' },
    ]);
    expect(note).toMatchObject({ kind: 'SOAP', generatedBy: 'cue-phrases', dictationSessionId: session.id, transcript: ENCOUNTER.join('\n') });
    expect(note.text).toContain('Plan:\nStart aspirin');

    const after = dataOf(
      await supergraph.request<{ dictationSession: { status: string; transcript: string; note: { id: string } }; clinicalNote: { id: string } }>(
        'query Q($id: ID!, $note: ID!) { dictationSession(id: $id) { status transcript note { id } } clinicalNote(id: $note) { id } }',
        { id: session.id, note: note.id },
        { token: alice.token },
      ),
    );
    expect(after).toEqual({ dictationSession: { status: 'FINISHED', transcript: '', note: { id: note.id } }, clinicalNote: { id: note.id } });
    expect(errorOf(await append(alice.token, session.id, { text: 'one more thing' }))).toMatchObject({ code: 'CONFLICT', extensions: expect.objectContaining({ reason: 'FINISHED' }) });
    expect(errorOf(await finish(alice.token, session.id))).toMatchObject({ code: 'CONFLICT' });
  });

  it('takes audio chunks, transcribed, in the order they were sent', async () => {
    const session = dataOf(await start(alice.token)).startDictation;
    const speech = dataOf(await synthesize(alice.token, { text: SENTENCE })).synthesize;
    dataOf(await append(alice.token, session.id, { text: 'Patient complains of a cough.' }));
    const withAudio = dataOf(await append(alice.token, session.id, { audio: { base64: speech.base64, mimeType: 'audio/wav' } })).appendDictation;
    expect(withAudio.chunkCount).toBe(2);
    expect(withAudio.durationMs).toBeGreaterThan(1000);
    const [first, second] = withAudio.transcript.split('\n');
    expect(first).toBe('Patient complains of a cough.');
    expect(recognized(second ?? '')).toBeGreaterThanOrEqual(5);
  });

  it("is its owner's alone, and refuses empty, double and missing chunks", async () => {
    const session = dataOf(await start(alice.token)).startDictation;
    expect(errorOf(await append(bob.token, session.id, { text: 'not mine' })).code).toBe('NOT_FOUND');
    expect(errorOf(await finish(bob.token, session.id)).code).toBe('NOT_FOUND');
    expect(dataOf(await supergraph.request<{ dictationSession: null }>('query Q($id: ID!) { dictationSession(id: $id) { id } }', { id: session.id }, { token: bob.token })).dictationSession).toBeNull();
    expect(errorOf(await append(alice.token, 'not-a-uuid', { text: 'x' })).code).toBe('NOT_FOUND');
    expect(errorOf(await append(alice.token, session.id, {}))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audio' });
    expect(errorOf(await append(alice.token, session.id, { text: 'both', audio: { base64: 'AAAA', mimeType: 'audio/wav' } }))).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(errorOf(await append(alice.token, session.id, { text: '  ' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    expect(errorOf(await append(alice.token, session.id, { audio: { base64: 'AAAA', mimeType: 'audio/wav' } }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audio.base64' });
    expect(errorOf(await finish(alice.token, session.id))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sessionId' });
    // A failed chunk leaves the session as it was.
    expect(dataOf(await append(alice.token, session.id, { text: 'Plan: rest.' })).appendDictation.chunkCount).toBe(1);
  });
});

describe.runIf(hasConversation)('Message.speech through the router', () => {
  async function ownMessage(account: Account, content: string): Promise<string> {
    const conversation = dataOf(await supergraph.request<{ createConversation: { id: string } }>('mutation { createConversation(title: "Ward round") { id } }', {}, { token: account.token })).createConversation;
    const sent = dataOf(
      await supergraph.request<{ sendMessage: { userMessage: { id: string } } }>(
        'mutation Send($id: ID!, $content: String!) { sendMessage(conversationId: $id, content: $content, useKnowledge: false) { userMessage { id } } }',
        { id: conversation.id, content },
        { token: account.token },
      ),
    );
    return sent.sendMessage.userMessage.id;
  }

  it('reads a message aloud for its owner as a valid WAV', async () => {
    const content = 'What is the **usual dose** of [aspirin](https://example.com) for angina?';
    await ownMessage(alice, content);
    const result = dataOf(
      await supergraph.request<{ conversations: { edges: Array<{ node: { messages: { edges: Array<{ node: { id: string; content: string; speech: { mimeType: string; durationMs: number; base64: string; voice: string } } }> } } }> } }>(
        '{ conversations(first: 1) { edges { node { messages(first: 1) { edges { node { id content speech { mimeType durationMs base64 voice } } } } } } } }',
        {},
        { token: alice.token },
      ),
    );
    const message = result.conversations.edges[0]!.node.messages.edges[0]!.node;
    expect(message.content).toBe(content);
    expect(message.speech.mimeType).toBe('audio/wav');
    expect(message.speech.durationMs).toBeGreaterThan(1000);
    const wav = parseWav(Buffer.from(message.speech.base64, 'base64'));
    expect(wav?.durationMs).toBe(message.speech.durationMs);
    expect(message.speech.voice).toBe('en-us+klatt');
  });

  it("is NOT_FOUND for another user's message, even asked of the voice subgraph directly", async () => {
    const id = await ownMessage(alice, 'Please remind me to check the potassium level.');
    const query = 'query E($r: [_Any!]!) { _entities(representations: $r) { ... on Message { speech { mimeType durationMs } } } }';
    const representation = { __typename: 'Message', id, content: 'Please remind me to check the potassium level.' };
    const voiceUrl = `${supergraph.subgraphs.voice!.url}/graphql`;
    const asBob = await graphqlRequest(voiceUrl, query, { r: [representation] }, { token: bob.token });
    expect(errorOf(asBob).code).toBe('NOT_FOUND');
    const asAlice = await graphqlRequest<{ _entities: Array<{ speech: { mimeType: string; durationMs: number } }> }>(voiceUrl, query, { r: [representation] }, { token: alice.token });
    expect(dataOf(asAlice)._entities[0]!.speech).toMatchObject({ mimeType: 'audio/wav' });
    // An id nobody has is no different.
    const unknown = await graphqlRequest(voiceUrl, query, { r: [{ ...representation, id: '00000000-0000-4000-8000-000000000000' }] }, { token: alice.token });
    expect(errorOf(unknown).code).toBe('NOT_FOUND');
  });
});

describe('logs', () => {
  it('never contain transcripts, dictated text or audio', () => {
    expect(logLines.length).toBeGreaterThan(0);
    const all = logLines.join('\n');
    for (const secret of ['hello world', 'chest pain', 'stable angina', 'potassium', 'UklGR']) expect(all).not.toContain(secret);
  });
});

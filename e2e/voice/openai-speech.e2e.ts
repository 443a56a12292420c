import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import { oggDurationMs, mp3DurationMs, parseWav, sniffAudio } from '@voiceassist/ai';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf, errorOf } from '@voiceassist/testkit/graphql-client';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import { fakeAudioStats } from '@voiceassist/testkit/openai-server/audio';
import '@voiceassist/testkit/openai-server/chat';
import { signUp, type Account } from './accounts.js';
import { startVoiceInstance, type VoiceInstance } from './voice-instance.js';

// The openai-SDK path: the voice subgraph with OPENAI_BASE_URL pointing at the test kit's local
// OpenAI-compatible server (/v1/audio/speech, /v1/audio/transcriptions, /v1/chat/completions).
let identity: TestSupergraph;
let fake: FakeOpenAIServer;
let voice: VoiceInstance;
let user: Account;

const SYNTHESIZE = 'mutation S($text: String!, $voice: String, $format: AudioFormat, $rate: Float) { synthesize(text: $text, voice: $voice, format: $format, rate: $rate) { base64 mimeType durationMs voice format rate } }';
const TRANSCRIBE = 'mutation T($audio: AudioInput!) { transcribe(audio: $audio) { text language confidence durationMs } }';

beforeAll(async () => {
  fake = await startFakeOpenAIServer();
  identity = await startSupergraph({ subgraphs: ['identity'] });
  await signUp(identity.request, 'founder');
  user = await signUp(identity.request, 'clinician');
  voice = await startVoiceInstance(identity.identity.url, { OPENAI_BASE_URL: fake.baseUrl, OPENAI_TTS_VOICES: 'alloy,nova' }, { redisUrl: testEnv.REDIS_URL });
}, 60_000);

afterAll(async () => {
  await voice?.close();
  await identity?.stop();
  await fake?.close();
});

describe('speech through an OpenAI-compatible server', () => {
  it("lists the configured voices and speaks with the first by default", async () => {
    const voices = dataOf(await voice.request<{ voices: Array<{ id: string }> }>('{ voices { id } }', {}, user.token)).voices;
    expect(voices.map((v) => v.id)).toEqual(['alloy', 'nova']);
    const speech = dataOf(await voice.request<{ synthesize: { base64: string; mimeType: string; durationMs: number; voice: string } }>(SYNTHESIZE, { text: 'one two three four five' }, user.token)).synthesize;
    expect(speech).toMatchObject({ mimeType: 'audio/wav', voice: 'alloy' });
    // The fake speaks 150 words a minute: five words are two seconds.
    expect(speech.durationMs).toBe(2000);
    expect(parseWav(Buffer.from(speech.base64, 'base64'))?.durationMs).toBe(2000);
    expect(fakeAudioStats(fake).lastSpeech).toMatchObject({ model: 'tts-1', voice: 'alloy', input: 'one two three four five', response_format: 'wav', speed: 1 });
  });

  it('asks for MP3 and Ogg Opus and measures what comes back', async () => {
    const mp3 = dataOf(await voice.request<{ synthesize: { base64: string; mimeType: string; durationMs: number } }>(SYNTHESIZE, { text: 'one two three four five', format: 'MP3', voice: 'nova', rate: 2 }, user.token)).synthesize;
    expect(mp3.mimeType).toBe('audio/mpeg');
    expect(mp3DurationMs(Buffer.from(mp3.base64, 'base64'))).toBe(mp3.durationMs);
    expect(Math.abs(mp3.durationMs - 1000)).toBeLessThan(30);
    expect(fakeAudioStats(fake).lastSpeech).toMatchObject({ voice: 'nova', response_format: 'mp3', speed: 2 });
    const ogg = dataOf(await voice.request<{ synthesize: { base64: string; mimeType: string; durationMs: number } }>(SYNTHESIZE, { text: 'one two three four five', format: 'OGG' }, user.token)).synthesize;
    expect(ogg.mimeType).toBe('audio/ogg');
    expect(sniffAudio(Buffer.from(ogg.base64, 'base64'))).toEqual({ container: 'ogg', codec: 'opus' });
    expect(oggDurationMs(Buffer.from(ogg.base64, 'base64'))).toBe(2000);
    expect(fakeAudioStats(fake).lastSpeech).toMatchObject({ response_format: 'opus' });
  });

  it('does not ask the server again for speech it already has', async () => {
    const before = fakeAudioStats(fake).speechRequests;
    const text = 'repeat after me';
    const first = dataOf(await voice.request<{ synthesize: { base64: string } }>(SYNTHESIZE, { text }, user.token)).synthesize;
    const second = dataOf(await voice.request<{ synthesize: { base64: string } }>(SYNTHESIZE, { text }, user.token)).synthesize;
    expect(second.base64).toBe(first.base64);
    expect(fakeAudioStats(fake).speechRequests).toBe(before + 1);
    // A different rate is different speech.
    dataOf(await voice.request(SYNTHESIZE, { text, rate: 1.25 }, user.token));
    expect(fakeAudioStats(fake).speechRequests).toBe(before + 2);
  });

  it('transcribes through the server: its own speech comes back as the same words', async () => {
    const speech = dataOf(await voice.request<{ synthesize: { base64: string } }>(SYNTHESIZE, { text: 'the patient is stable' }, user.token)).synthesize;
    const heard = dataOf(await voice.request<{ transcribe: { text: string; language: string; confidence: number; durationMs: number } }>(TRANSCRIBE, { audio: { base64: speech.base64, mimeType: 'audio/wav', language: 'en-US' } }, user.token)).transcribe;
    expect(heard).toEqual({ text: 'the patient is stable', language: 'en', confidence: expect.closeTo(Math.exp(-0.1), 3), durationMs: 1600 });
    expect(fakeAudioStats(fake).lastTranscription).toMatchObject({ model: 'whisper-1', response_format: 'verbose_json', language: 'en' });
  });

  it('reports an unavailable server as PROVIDER_UNAVAILABLE, and audio it refuses as BAD_USER_INPUT', async () => {
    fake.behaviour.audioFailStatus = 503;
    try {
      const failed = errorOf(await voice.request(SYNTHESIZE, { text: 'never cached before' }, user.token));
      expect(failed.code).toBe('PROVIDER_UNAVAILABLE');
      expect(failed.message).not.toContain('Fake failure');
    } finally {
      delete fake.behaviour.audioFailStatus;
    }
    const webm = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(60)]).toString('base64');
    fake.behaviour.audioFailStatus = 400;
    try {
      expect(errorOf(await voice.request(TRANSCRIBE, { audio: { base64: webm, mimeType: 'audio/webm' } }, user.token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'audio.base64' });
    } finally {
      delete fake.behaviour.audioFailStatus;
    }
  });

  it('has the language model write SOAP notes', async () => {
    fake.behaviour.chatReply = '{"subjective":"Cough for a week.","objective":"Afebrile.","assessment":"Viral bronchitis.","plan":"Fluids and rest."}';
    try {
      const session = dataOf(await voice.request<{ startDictation: { id: string } }>('mutation { startDictation { id } }', {}, user.token)).startDictation;
      dataOf(await voice.request('mutation A($id: ID!) { appendDictation(sessionId: $id, text: "Cough for a week, no fever, likely viral, fluids and rest.") { id } }', { id: session.id }, user.token));
      const note = dataOf(await voice.request<{ finishDictation: { generatedBy: string; sections: Array<{ kind: string; text: string }> } }>('mutation F($id: ID!) { finishDictation(sessionId: $id) { generatedBy sections { kind text } } }', { id: session.id }, user.token)).finishDictation;
      expect(note.generatedBy).toBe('llm:gpt-4o-mini');
      expect(note.sections.map((s) => s.text)).toEqual(['Cough for a week.', 'Afebrile.', 'Viral bronchitis.', 'Fluids and rest.']);
    } finally {
      delete fake.behaviour.chatReply;
    }
  });
});

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import { pcmToWav } from '@voiceassist/ai';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf, errorOf } from '@voiceassist/testkit/graphql-client';
import { signUp, type Account } from './accounts.js';
import { startVoiceInstance, type VoiceInstance } from './voice-instance.js';

// Voice subgraphs of their own (reached directly) for what one shared supergraph cannot be at
// once: engines missing, a short dictation expiry, a tight rate limit, two instances sharing a
// cache. Tokens come from a real identity subgraph.
let identity: TestSupergraph;
let user: Account;
const instances: VoiceInstance[] = [];

async function voice(env: Record<string, string>, options: { namespace?: string } = {}) {
  const instance = await startVoiceInstance(identity.identity.url, env, { redisUrl: testEnv.REDIS_URL, ...options });
  instances.push(instance);
  return instance;
}

const SYNTHESIZE = 'mutation S($text: String!, $format: AudioFormat) { synthesize(text: $text, format: $format) { base64 mimeType durationMs } }';
const TRANSCRIBE = 'mutation T($audio: AudioInput!) { transcribe(audio: $audio) { text } }';
const silence = pcmToWav(Buffer.alloc(16_000), 16_000).toString('base64');

beforeAll(async () => {
  identity = await startSupergraph({ subgraphs: ['identity'] });
  await signUp(identity.request, 'founder');
  user = await signUp(identity.request, 'clinician');
}, 60_000);

afterAll(async () => {
  for (const instance of instances) await instance.close();
  await identity?.stop();
});

describe('with the speech engines missing', () => {
  let broken: VoiceInstance;
  beforeAll(async () => {
    broken = await voice({ ESPEAK_NG_PATH: '/nonexistent/espeak-ng', SOX_PATH: '/nonexistent/sox', POCKETSPHINX_PATH: '/nonexistent/pocketsphinx_continuous' });
  });

  it('fails speech calls with PROVIDER_UNAVAILABLE naming the package to install', async () => {
    const speak = errorOf(await broken.request(SYNTHESIZE, { text: 'hello' }, user.token));
    expect(speak.code).toBe('PROVIDER_UNAVAILABLE');
    expect(speak.message).toContain('apt-get install -y espeak-ng');
    const voices = errorOf(await broken.request('{ voices { id } }', {}, user.token));
    expect(voices.code).toBe('PROVIDER_UNAVAILABLE');
    const hear = errorOf(await broken.request(TRANSCRIBE, { audio: { base64: silence, mimeType: 'audio/wav' } }, user.token));
    expect(hear.code).toBe('PROVIDER_UNAVAILABLE');
    expect(hear.message).toContain('package sox');
  });

  it('names the formats it can still produce (WAV only, without sox)', async () => {
    const mp3 = errorOf(await broken.request(SYNTHESIZE, { text: 'hello', format: 'MP3' }, user.token));
    expect(mp3).toMatchObject({ code: 'BAD_USER_INPUT', field: 'format', extensions: expect.objectContaining({ supportedFormats: ['WAV'] }) });
    expect(mp3.message).toContain('supported formats: WAV');
  });

  it('keeps everything else working: preferences, dictation by text, readiness', async () => {
    expect(dataOf(await broken.request<{ voicePreferences: { rate: number } }>('{ voicePreferences { rate } }', {}, user.token)).voicePreferences.rate).toBe(1);
    const session = dataOf(await broken.request<{ startDictation: { id: string } }>('mutation { startDictation { id } }', {}, user.token)).startDictation;
    const appended = await broken.request<{ appendDictation: { chunkCount: number } }>('mutation A($id: ID!) { appendDictation(sessionId: $id, text: "Plan: rest.") { chunkCount } }', { id: session.id }, user.token);
    expect(dataOf(appended).appendDictation.chunkCount).toBe(1);
    expect((await fetch(`${broken.url}/ready`)).status).toBe(200);
  });

  it('finishes a FREE_TEXT dictation as one section', async () => {
    const session = dataOf(await broken.request<{ startDictation: { id: string } }>('mutation { startDictation(kind: FREE_TEXT) { id } }', {}, user.token)).startDictation;
    dataOf(await broken.request('mutation A($id: ID!) { appendDictation(sessionId: $id, text: "Discussed results with the family.") { id } }', { id: session.id }, user.token));
    const note = dataOf(await broken.request<{ finishDictation: { kind: string; sections: unknown[]; generatedBy: string } }>('mutation F($id: ID!) { finishDictation(sessionId: $id) { kind sections { kind title text } generatedBy } }', { id: session.id }, user.token)).finishDictation;
    expect(note).toEqual({ kind: 'FREE_TEXT', sections: [{ kind: 'NOTE', title: 'Note', text: 'Discussed results with the family.' }], generatedBy: 'transcript' });
  });
});

describe('dictation expiry', () => {
  it('expires an idle session: further chunks are CONFLICT and its transcript is gone', async () => {
    const short = await voice({ DICTATION_IDLE_TIMEOUT_SECONDS: '1' });
    const session = dataOf(await short.request<{ startDictation: { id: string; expiresAt: string; createdAt: string } }>('mutation { startDictation(kind: FREE_TEXT) { id expiresAt createdAt } }', {}, user.token)).startDictation;
    const idleMs = Date.parse(session.expiresAt) - Date.parse(session.createdAt);
    expect(idleMs).toBeGreaterThanOrEqual(1000);
    expect(idleMs).toBeLessThan(1100);
    dataOf(await short.request('mutation A($id: ID!) { appendDictation(sessionId: $id, text: "Patient complains of dizziness.") { id } }', { id: session.id }, user.token));
    await sleep(1_500);
    const late = errorOf(await short.request('mutation A($id: ID!) { appendDictation(sessionId: $id, text: "More.") { id } }', { id: session.id }, user.token));
    expect(late).toMatchObject({ code: 'CONFLICT', extensions: expect.objectContaining({ reason: 'EXPIRED' }) });
    const view = dataOf(await short.request<{ dictationSession: { status: string; transcript: string } }>('query Q($id: ID!) { dictationSession(id: $id) { status transcript } }', { id: session.id }, user.token));
    expect(view.dictationSession).toEqual({ status: 'EXPIRED', transcript: '' });
    expect(errorOf(await short.request('mutation F($id: ID!) { finishDictation(sessionId: $id) { id } }', { id: session.id }, user.token)).code).toBe('CONFLICT');
  });
});

describe('engine budget', () => {
  it('limits uncached engine runs per user per minute, while cached speech stays free', async () => {
    const tight = await voice({ SPEECH_REQUESTS_PER_MINUTE: '2' });
    dataOf(await tight.request(SYNTHESIZE, { text: 'first phrase' }, user.token));
    dataOf(await tight.request(SYNTHESIZE, { text: 'second phrase' }, user.token));
    const third = errorOf(await tight.request(SYNTHESIZE, { text: 'third phrase' }, user.token));
    expect(third.code).toBe('RATE_LIMITED');
    expect(third.extensions.retryAfterSeconds).toBeGreaterThan(0);
    dataOf(await tight.request(SYNTHESIZE, { text: 'first phrase' }, user.token));
  });
});

describe.runIf(Boolean(testEnv.REDIS_URL))('with Redis', () => {
  it('shares synthesized speech between instances', async () => {
    const namespace = `test-${randomUUID()}`;
    const [a, b] = [await voice({}, { namespace }), await voice({}, { namespace })];
    const text = `shared cache check ${randomUUID().slice(0, 4)}`;
    const first = dataOf(await a!.request<{ synthesize: { base64: string } }>(SYNTHESIZE, { text }, user.token)).synthesize;
    // klatt voices add random noise: identical bytes mean b served a's audio from Redis.
    const second = dataOf(await b!.request<{ synthesize: { base64: string } }>(SYNTHESIZE, { text }, user.token)).synthesize;
    expect(second.base64).toBe(first.base64);
  });
});

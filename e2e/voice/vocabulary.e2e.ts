import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf, errorOf } from '@voiceassist/testkit/graphql-client';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import { fakeAudioStats } from '@voiceassist/testkit/openai-server/audio';
import { signUp, type Account } from './accounts.js';
import { startVoiceInstance, type VoiceInstance } from './voice-instance.js';

// The organisation's vocabulary on the OpenAI-compatible path: the test kit's server hears
// exactly what its own speech said, so what changes a transcript here is the vocabulary alone.
let identity: TestSupergraph;
let fake: FakeOpenAIServer;
let voice: VoiceInstance;
let admin: Account;
let user: Account;

const ADD = 'mutation Add($terms: [VocabularyTermInput!]!) { addVocabularyTerms(terms: $terms) { id written spoken kind createdAt } }';
const TRANSCRIBE = 'mutation T($audio: AudioInput!) { transcribe(audio: $audio) { text rawText } }';

async function hear(text: string) {
  const speech = dataOf(await voice.request<{ synthesize: { base64: string } }>('mutation S($text: String!) { synthesize(text: $text) { base64 } }', { text }, user.token)).synthesize;
  return dataOf(await voice.request<{ transcribe: { text: string; rawText: string } }>(TRANSCRIBE, { audio: { base64: speech.base64, mimeType: 'audio/wav' } }, user.token)).transcribe;
}

beforeAll(async () => {
  fake = await startFakeOpenAIServer();
  identity = await startSupergraph({ subgraphs: ['identity'] });
  admin = await signUp(identity.request, 'founder');
  user = await signUp(identity.request, 'clinician');
  voice = await startVoiceInstance(identity.identity.url, { OPENAI_BASE_URL: fake.baseUrl }, { redisUrl: testEnv.REDIS_URL });
}, 60_000);

afterAll(async () => {
  await voice?.close();
  await identity?.stop();
  await fake?.close();
});

describe('medical vocabulary', () => {
  it('writes transcripts clinically and keeps what was heard', async () => {
    const heard = await hear('start metformin five hundred milligrams b i d, blood pressure one hundred thirty over eighty');
    expect(heard).toEqual({
      rawText: 'start metformin five hundred milligrams b i d, blood pressure one hundred thirty over eighty',
      text: 'start metformin 500 mg BID, BP 130/80',
    });
    expect(fakeAudioStats(fake).lastTranscription?.prompt).toContain('metformin');
  });

  it("takes an admin's terms for the whole organisation, in recognition hints and transcripts", async () => {
    expect((await hear('give zin trava ten milligrams')).text).toBe('give zin trava 10 mg');
    const added = dataOf(await voice.request<{ addVocabularyTerms: Array<{ written: string; spoken: string[]; kind: string }> }>(ADD, { terms: [{ written: 'Zyntrava', spoken: ['Zin  Trava', 'sin traver'] }] }, admin.token)).addVocabularyTerms;
    expect(added).toEqual([expect.objectContaining({ written: 'Zyntrava', spoken: ['zin trava', 'sin traver'], kind: 'DRUG' })]);
    expect((await hear('give zin trava ten milligrams')).text).toBe('give Zyntrava 10 mg');
    expect(fakeAudioStats(fake).lastTranscription?.prompt).toContain('Zyntrava');
    // Sent again, a written form replaces its term.
    dataOf(await voice.request(ADD, { terms: [{ written: 'Zyntrava', spoken: ['zen trava'] }] }, admin.token));
    const listed = dataOf(await voice.request<{ vocabulary: Array<{ written: string; spoken: string[] }> }>('{ vocabulary { written spoken } }', {}, admin.token)).vocabulary;
    expect(listed).toEqual([{ written: 'Zyntrava', spoken: ['zen trava'] }]);
    expect((await hear('give zin trava')).text).toBe('give zin trava');
  });

  it('is for admins to change, and refuses bad terms naming them', async () => {
    expect(errorOf(await voice.request(ADD, { terms: [{ written: 'Mine' }] }, user.token)).code).toBe('FORBIDDEN');
    expect(errorOf(await voice.request('{ vocabulary { written } }', {}, user.token)).code).toBe('FORBIDDEN');
    expect(errorOf(await voice.request(ADD, { terms: [{ written: 'ok' }, { written: '  ' }] }, admin.token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'terms.1.written' });
    expect(errorOf(await voice.request(ADD, { terms: [{ written: 'ok', spoken: ['fine', '<script>'] }] }, admin.token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'terms.0.spoken.1' });
    expect(errorOf(await voice.request(ADD, { terms: [] }, admin.token))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'terms' });
    // All or none: the good term of a refused call was not added.
    const listed = dataOf(await voice.request<{ vocabulary: Array<{ written: string }> }>('{ vocabulary { written } }', {}, admin.token)).vocabulary;
    expect(listed.map((t) => t.written)).not.toContain('ok');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIChatProvider, createOpenAIClient } from '@voiceassist/ai';
import { createLogger } from '@voiceassist/logging';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import '@voiceassist/testkit/openai-server/chat';
import { classifySoap, createNoteWriter, parseSoapJson } from './soap-note.js';

const ENCOUNTER = [
  'Patient is a 54 year old man who complains of chest pain for two days. He denies shortness of breath.',
  'On exam blood pressure is 150 over 90 and heart rate is 88. Lungs are clear.',
  'Impression is stable angina. Plan: start aspirin 81 mg daily, order an ECG and follow up in one week.',
].join('\n');

describe('cue-phrase SOAP classifier', () => {
  it('sorts a dictated encounter into its four sections', () => {
    expect(classifySoap(ENCOUNTER)).toEqual({
      SUBJECTIVE: 'Patient is a 54 year old man who complains of chest pain for two days. He denies shortness of breath.',
      OBJECTIVE: 'On exam blood pressure is 150 over 90 and heart rate is 88. Lungs are clear.',
      ASSESSMENT: 'Impression is stable angina.',
      PLAN: 'Start aspirin 81 mg daily, order an ECG and follow up in one week.',
    });
  });

  it('splits unpunctuated speech-recognizer output at cue phrases', () => {
    expect(classifySoap('patient complains of headache for three days on exam temperature is normal the impression is tension headache plan ibuprofen and rest')).toEqual({
      SUBJECTIVE: 'Patient complains of headache for three days',
      OBJECTIVE: 'On exam temperature is normal',
      ASSESSMENT: 'The impression is tension headache',
      PLAN: 'Ibuprofen and rest',
    });
  });

  it('drops spoken section headings, keeps "assessment and plan" together, and leaves silent sections empty', () => {
    expect(classifySoap('Subjective: cough for a week. Objective: afebrile, lungs clear. Assessment and plan: viral bronchitis, supportive care.')).toEqual({
      SUBJECTIVE: 'Cough for a week.',
      OBJECTIVE: 'Afebrile, lungs clear.',
      ASSESSMENT: 'Viral bronchitis, supportive care.',
      PLAN: '',
    });
  });

  it('leans sentences without a strong cue by their content, else keeps them where they are', () => {
    const note = classifySoap('Complains of knee pain. Blood pressure 120 over 80. Likely osteoarthritis. Continue ibuprofen. He is worried about work.');
    expect(note.SUBJECTIVE).toBe('Complains of knee pain.');
    expect(note.OBJECTIVE).toBe('Blood pressure 120 over 80.');
    expect(note.ASSESSMENT).toBe('Likely osteoarthritis.');
    expect(note.PLAN).toBe('Continue ibuprofen. He is worried about work.');
  });

  it('is deterministic and does not split words that merely contain a cue', () => {
    const text = 'She is planning a trip and reports an exacerbation of asthma.';
    expect(classifySoap(text)).toEqual(classifySoap(text));
    expect(classifySoap(text).SUBJECTIVE).toBe(text);
  });
});

describe('language model note writer', () => {
  let fake: FakeOpenAIServer;
  const logger = createLogger({ service: 'voice', level: 'silent' });
  const chat = () => createOpenAIChatProvider({ client: createOpenAIClient({ baseUrl: fake.baseUrl, timeoutMs: 5_000 }), model: 'gpt-4o-mini' });

  beforeAll(async () => {
    fake = await startFakeOpenAIServer();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it("uses the model's JSON sections when it answers as asked", async () => {
    fake.behaviour = { chatReply: '```json\n{"subjective":"Chest pain for two days.","objective":"BP 150/90.","assessment":"Stable angina.","plan":"Aspirin 81 mg daily."}\n```' };
    const note = await createNoteWriter({ chat: chat(), logger }).write('SOAP', ENCOUNTER);
    expect(note.generatedBy).toBe('llm:gpt-4o-mini');
    expect(note.sections.map((s) => [s.kind, s.text])).toEqual([
      ['SUBJECTIVE', 'Chest pain for two days.'],
      ['OBJECTIVE', 'BP 150/90.'],
      ['ASSESSMENT', 'Stable angina.'],
      ['PLAN', 'Aspirin 81 mg daily.'],
    ]);
    const prompt = fake.requests.at(-1)!.json<{ messages: Array<{ role: string; content: string }> }>().messages;
    expect(prompt.at(-1)).toEqual({ role: 'user', content: ENCOUNTER });
  });

  it('falls back to the classifier when the model fails or answers something else', async () => {
    fake.behaviour = { chatFailStatus: 503 };
    const failed = await createNoteWriter({ chat: chat(), logger }).write('SOAP', ENCOUNTER);
    expect(failed.generatedBy).toBe('cue-phrases');
    expect(failed.sections[2]).toEqual({ kind: 'ASSESSMENT', title: 'Assessment', text: 'Impression is stable angina.' });
    fake.behaviour = { chatReply: 'I am sorry, I cannot help with that.' };
    expect((await createNoteWriter({ chat: chat(), logger }).write('SOAP', ENCOUNTER)).generatedBy).toBe('cue-phrases');
  });

  it('reads only well-formed SOAP JSON', () => {
    expect(parseSoapJson('{"subjective":"a","objective":"b","assessment":"c","plan":"d"}')).toEqual({ SUBJECTIVE: 'a', OBJECTIVE: 'b', ASSESSMENT: 'c', PLAN: 'd' });
    expect(parseSoapJson('{"subjective":"a"}')).toEqual({ SUBJECTIVE: 'a', OBJECTIVE: '', ASSESSMENT: '', PLAN: '' });
    expect(parseSoapJson('{"subjective": 3}')).toBeUndefined();
    expect(parseSoapJson('no json')).toBeUndefined();
  });
});

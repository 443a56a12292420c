import { describe, expect, it } from 'vitest';
import { SentenceSplitter, speechChunks } from './speech-stream.js';
import type { SpeechAudio } from './speech.js';

const REPLY = 'From the knowledge base: Aspirin 81 mg daily is usual [1]. Take it with food!\n\n```\ncode\n```\nAvoid it with warfarin? Ok. Ask your doctor.';

function split(deltas: string[]): string[] {
  const splitter = new SentenceSplitter();
  return [...deltas.flatMap((d) => splitter.push(d)), ...splitter.end()];
}

async function* tokens(deltas: string[]) {
  for (const [index, delta] of deltas.entries()) yield { index, delta, done: false };
  yield { index: deltas.length, delta: '', done: true };
}

const fakeAudio = (text: string): SpeechAudio => ({ mimeType: 'audio/wav', base64: Buffer.from(text).toString('base64'), durationMs: text.length, voice: 'v', format: 'WAV', rate: 1 });

describe('reply speech, sentence by sentence', () => {
  it('cuts the same sentences however the text arrives', () => {
    const whole = split([REPLY]);
    // Pieces under 12 characters join the next one ("```", "Ok.").
    expect(whole).toEqual(['From the knowledge base: Aspirin 81 mg daily is usual [1].', 'Take it with food!', '```\ncode\n```', 'Avoid it with warfarin?', 'Ok. Ask your doctor.']);
    expect(split([...REPLY])).toEqual(whole);
    expect(split(REPLY.split(/(?<= )/))).toEqual(whole);
  });

  it('speaks each sentence with something to say, in order, resumes after an index, and ends with done', async () => {
    const all = [];
    for await (const chunk of speechChunks('m', tokens(REPLY.split(/(?<= )/)), -1, async (text) => fakeAudio(text))) all.push(chunk);
    expect(all.map((c) => [c.index, c.text, c.done])).toEqual([
      [0, 'From the knowledge base: Aspirin 81 mg daily is usual.', false],
      [1, 'Take it with food!', false],
      // The code block has nothing to say: no chunk.
      [2, 'Avoid it with warfarin?', false],
      [3, 'Ok. Ask your doctor.', false],
      [4, '', true],
    ]);
    const synthesized: string[] = [];
    const rest = [];
    for await (const chunk of speechChunks('m', tokens([...REPLY]), 2, async (text) => (synthesized.push(text), fakeAudio(text)))) rest.push(chunk);
    expect(rest.map((c) => c.index)).toEqual([3, 4]);
    expect(synthesized).toEqual(['Ok. Ask your doctor.']);
  });
});

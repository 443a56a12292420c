import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import '@voiceassist/testkit/openai-server/chat';
import { createOpenAIClient } from '../openai-client.js';
import { citedSentences, supportedByOverlap, verifyCitations } from './citation-check.js';
import { composeExtractiveAnswer } from './embedded.js';
import { createOpenAIChatProvider } from './openai.js';
import type { ChatPassage } from './provider.js';

const PASSAGES: ChatPassage[] = [
  { id: 'dose', text: 'Calder regimen: levetiracetam 20 mg/kg intravenously as a loading dose, then 500 mg twice daily.' },
  { id: 'kawasaki', text: 'Kawasaki disease is treated with intravenous immunoglobulin and high-dose aspirin.' },
];

describe('citation verification', () => {
  it('reads the markers of each sentence, whether written before or after the full stop', () => {
    expect(citedSentences('Intro without a source. The dose is 20 mg/kg [1]. Aspirin is used. [2] Both [1][2].')).toEqual([
      { sentence: 'The dose is 20 mg/kg.', markers: [1] },
      { sentence: 'Aspirin is used.', markers: [2] },
      { sentence: 'Both.', markers: [1, 2] },
    ]);
  });

  it('verifies a sentence its passage states, and not one with another number or about something else', () => {
    expect(supportedByOverlap('The loading dose of levetiracetam is 20 mg/kg', PASSAGES[0]!.text)).toBe(true);
    expect(supportedByOverlap('The loading dose of levetiracetam is 40 mg/kg', PASSAGES[0]!.text)).toBe(false);
    expect(supportedByOverlap('Kawasaki disease is treated with immunoglobulin', PASSAGES[0]!.text)).toBe(false);
  });

  it('marks each [n] of an answer verified or not against the n-th passage', async () => {
    const answer = 'Levetiracetam is loaded at 20 mg/kg [1]. Kawasaki disease is treated with levetiracetam 20 mg/kg [2]. Nothing [3].';
    const { checks, usage } = await verifyCitations(answer, PASSAGES);
    expect(checks).toEqual([
      { marker: 1, passageId: 'dose', verified: true },
      { marker: 2, passageId: 'kawasaki', verified: false },
    ]);
    expect(usage).toBeUndefined();
    // The embedded writer quotes its passages: every citation it writes holds.
    const written = composeExtractiveAnswer('How is Kawasaki disease treated, and what is the loading dose of the Calder regimen?', PASSAGES);
    const own = await verifyCitations(written, PASSAGES);
    expect(own.checks.length).toBe(2);
    expect(own.checks.every((c) => c.verified)).toBe(true);
  });

  describe('with a language model as judge', () => {
    let fake: FakeOpenAIServer;
    beforeAll(async () => {
      fake = await startFakeOpenAIServer();
    });
    afterAll(() => fake?.close());

    it('takes the model’s verdict, counts what it spent, and falls back to overlap when the judge is down', async () => {
      const provider = createOpenAIChatProvider({ client: createOpenAIClient({ baseUrl: fake.baseUrl, apiKey: 'sk-test', timeoutMs: 5_000 }), model: 'fake-chat-1' });
      // The judge says yes only for the Kawasaki passage.
      fake.behaviour.chatReplyFor = (messages: Array<{ content: string }>) => (messages.at(-1)!.content.includes('Kawasaki disease is treated') ? 'yes' : 'no');
      const answer = 'Levetiracetam is loaded at 20 mg/kg [1]. It is given with phenytoin [2].';
      const judged = await verifyCitations(answer, PASSAGES, provider);
      expect(judged.checks).toEqual([
        { marker: 1, passageId: 'dose', verified: false },
        { marker: 2, passageId: 'kawasaki', verified: true },
      ]);
      expect(judged.usage!.promptTokens).toBeGreaterThan(0);
      fake.behaviour.chatFailStatus = 503;
      const fallback = await verifyCitations(answer, PASSAGES, provider);
      expect(fallback.checks.map((c) => c.verified)).toEqual([true, false]);
    });
  });
});

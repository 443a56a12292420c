import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import '@voiceassist/testkit/openai-server/chat';
import { createOpenAIClient } from '../openai-client.js';
import { createEmbeddedChatProvider } from './embedded.js';
import { bridgeTerms, planHops, planHopsHeuristically, retrieveMultiHop } from './multi-hop.js';
import { createOpenAIChatProvider } from './openai.js';
import type { ChatPassage } from './provider.js';

const GUIDELINE = 'For seizure prophylaxis after stroke, the stroke unit adopted the Calder regimen in 2024.';
const REGIMEN = 'Calder regimen: levetiracetam 20 mg/kg intravenously as a loading dose, then 500 mg twice daily.';
const OTHER = 'Phenytoin loading doses need cardiac monitoring.';

/** A tiny search: the passage sharing the most query words. */
function searchOf(passages: Record<string, string>) {
  const queries: string[] = [];
  const search = (query: string): Promise<ChatPassage[]> => {
    queries.push(query);
    const words = new Set(query.toLowerCase().match(/[a-z0-9]+/g));
    const score = (text: string) => (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => words.has(w) && w.length > 3).length;
    return Promise.resolve(
      Object.entries(passages)
        .map(([id, text]) => ({ id, text, score: score(text) }))
        .filter((p) => p.score > 0)
        .sort((a, b) => b.score - a.score)
        .slice(0, 1)
        .map(({ id, text }) => ({ id, text })),
    );
  };
  return { search, queries };
}

describe('multi-hop retrieval', () => {
  it('splits a question that names a thing by what selects it into the selection, then the question about it', () => {
    expect(planHopsHeuristically('What is the loading dose in the regimen that the stroke unit adopted for seizures?')).toEqual([
      { query: 'regimen the stroke unit adopted for seizures', bridged: false },
      { query: 'What is the loading dose in the regimen', bridged: true },
    ]);
    expect(planHopsHeuristically('Which antibiotic treats cellulitis? And what is the dose of flucloxacillin?')).toEqual([
      { query: 'Which antibiotic treats cellulitis', bridged: false },
      { query: 'And what is the dose of flucloxacillin', bridged: false },
    ]);
    // One question, one search: as before.
    expect(planHopsHeuristically('How is Kawasaki disease treated?')).toEqual([{ query: 'How is Kawasaki disease treated', bridged: false }]);
  });

  it('searches the second hop with the name the first one found, and gives passages of both hops, best of each first', async () => {
    expect(bridgeTerms(GUIDELINE, 'loading dose regimen stroke unit adopted seizures')).toEqual(['Calder']);
    const { search, queries } = searchOf({ guideline: GUIDELINE, regimen: REGIMEN, other: OTHER });
    const question = 'What is the loading dose in the regimen that the stroke unit adopted for seizures?';
    const passages = await retrieveMultiHop({ question, hops: planHopsHeuristically(question), search, limit: 4 });
    expect(queries).toEqual(['regimen the stroke unit adopted for seizures', 'What is the loading dose in the regimen Calder']);
    expect(passages.map((p) => [p.id, p.hop])).toEqual([
      ['guideline', 0],
      ['regimen', 1],
    ]);
    expect(passages.find((p) => p.hop === 1)!.query).toBe('What is the loading dose in the regimen Calder');
  });

  it('is one plain search for a single-hop question', async () => {
    const { search, queries } = searchOf({ guideline: GUIDELINE, regimen: REGIMEN });
    const passages = await retrieveMultiHop({ question: 'Calder regimen dose', hops: [{ query: 'Calder regimen dose', bridged: false }], search, limit: 1 });
    expect(queries).toEqual(['Calder regimen dose']);
    expect(passages).toEqual([{ id: 'regimen', text: REGIMEN }]);
  });

  describe('planned by a language model', () => {
    let fake: FakeOpenAIServer;
    beforeAll(async () => {
      fake = await startFakeOpenAIServer();
    });
    afterAll(() => fake?.close());

    it('uses the model’s plan, and the heuristic one when the model’s cannot be read or the embedded provider answers', async () => {
      const provider = createOpenAIChatProvider({ client: createOpenAIClient({ baseUrl: fake.baseUrl, apiKey: 'sk-test', timeoutMs: 5_000 }), model: 'fake-chat-1' });
      fake.behaviour.chatReply = '{"hops":[{"query":"regimen adopted by the stroke unit","bridged":false},{"query":"loading dose of that regimen","bridged":true}]}';
      const question = 'What is the loading dose in the regimen that the stroke unit adopted for seizures?';
      const spent: unknown[] = [];
      expect(await planHops(provider, question, undefined, (usage) => spent.push(usage))).toEqual([
        { query: 'regimen adopted by the stroke unit', bridged: false },
        { query: 'loading dose of that regimen', bridged: true },
      ]);
      // Planning costs tokens, which the reply counts.
      expect(spent).toEqual([{ promptTokens: expect.any(Number), completionTokens: expect.any(Number) }]);
      fake.behaviour.chatReply = 'I would search twice.';
      expect(await planHops(provider, question)).toEqual(planHopsHeuristically(question));
      expect(await planHops(createEmbeddedChatProvider({ tokenDelayMs: 0 }), question)).toEqual(planHopsHeuristically(question));
    });
  });
});

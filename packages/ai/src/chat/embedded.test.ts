import { describe, expect, it } from 'vitest';
import { NO_KNOWLEDGE_ANSWER, composeExtractiveAnswer, createEmbeddedChatProvider, splitIntoTokens, wholeSentences } from './embedded.js';
import { ChatProviderError, type ChatChunk, type ChatPassage } from './provider.js';

const PASSAGES: ChatPassage[] = [
  { id: 'a', text: 'Hypertension is persistently raised blood pressure. It is usually symptomless.' },
  { id: 'b', text: 'First-line treatment of hypertension includes thiazide diuretics. Lifestyle changes come first.' },
  { id: 'c', text: 'Asthma is a chronic airway disease.' },
];

async function collect(chunks: AsyncIterable<ChatChunk>) {
  const deltas: string[] = [];
  let usage;
  for await (const chunk of chunks) {
    if ('delta' in chunk) deltas.push(chunk.delta);
    else usage = chunk.usage;
  }
  return { deltas, usage };
}

describe('embedded chat provider', () => {
  it('answers from the passages that share the question’s words, citing them by number', () => {
    const answer = composeExtractiveAnswer('What is the treatment of hypertension?', PASSAGES);
    expect(answer).toBe(
      'From the knowledge base: Hypertension is persistently raised blood pressure [1]. First-line treatment of hypertension includes thiazide diuretics [2].',
    );
    // Deterministic.
    expect(composeExtractiveAnswer('What is the treatment of hypertension?', PASSAGES)).toBe(answer);
    expect(answer).not.toContain('Asthma');
  });

  it('says honestly when it has no knowledge source, and quotes the closest passage when nothing matches', () => {
    expect(composeExtractiveAnswer('Anything?', [])).toBe(NO_KNOWLEDGE_ANSWER);
    expect(composeExtractiveAnswer('zzz qqq', PASSAGES)).toMatch(/^I found nothing in the knowledge base that answers this directly\. .* \[1\]\.$/);
  });

  it('writes whole sentences without search highlighting, leaving out pieces cut at passage or excerpt boundaries', () => {
    const snippets: ChatPassage[] = [
      { id: 'x', text: 'crystalloid within the first three hours. Give **noradrenaline** when mean arterial pressure stays below 65 mmHg. Start it through a peripheral' },
      { id: 'y', text: 'The **noradrenaline** infusion starts at 0.05 micrograms per kg per minute. … titrate every five minutes to the' },
    ];
    const answer = composeExtractiveAnswer('When is noradrenaline given, and at what dose?', snippets);
    expect(answer).toBe(
      'From the knowledge base: Give noradrenaline when mean arterial pressure stays below 65 mmHg [1]. The noradrenaline infusion starts at 0.05 micrograms per kg per minute [2].',
    );
    expect(answer).not.toContain('*');
    expect(answer).not.toContain('…');
    expect(wholeSentences('## Dosing\nthe first. Second **one** here! And a cut')).toEqual(['Second one here!']);
  });

  it('numbers its markers as the passages are listed, so [n] is the n-th citation', () => {
    const answer = composeExtractiveAnswer('thiazide diuretics for hypertension', PASSAGES);
    const markers = [...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    expect(markers.length).toBeGreaterThan(0);
    for (const n of markers) {
      const sentence = answer.split(`[${n}]`)[0]!.split(/[.!?] /).at(-1)!.trim();
      expect(PASSAGES[n - 1]!.text.replace(/\s+/g, ' ')).toContain(sentence.replace(/^From the knowledge base: /, ''));
    }
  });

  it('cites every hop of a multi-hop search, scoring each passage by its own sub-question too', () => {
    const hops: ChatPassage[] = [
      { id: 'g', hop: 0, query: 'Which protocol does the guideline select for septic shock?', text: 'The sepsis guideline selects the Meridian protocol for septic shock. Blood cultures come first.' },
      { id: 'p', hop: 1, query: 'What is the dose in the Meridian protocol?', text: 'The Meridian protocol doses vasopressin at 0.03 units per minute. It is reviewed yearly.' },
    ];
    const answer = composeExtractiveAnswer('What vasopressin dose does the protocol the sepsis guideline selects use?', hops);
    expect(answer).toContain('Meridian protocol for septic shock [1].');
    expect(answer).toContain('0.03 units per minute [2].');
  });

  it('streams the answer token by token, the tokens joining back into it, then reports usage', async () => {
    const provider = createEmbeddedChatProvider({ tokenDelayMs: 0 });
    const messages = [{ role: 'user' as const, content: 'What is hypertension?' }];
    const { deltas, usage } = await collect(provider.stream(messages, { passages: PASSAGES }));
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.join('')).toBe(composeExtractiveAnswer('What is hypertension?', PASSAGES));
    expect(deltas).toEqual(splitIntoTokens(deltas.join('')));
    expect(usage).toEqual({ promptTokens: expect.any(Number), completionTokens: deltas.length });
    expect(usage!.promptTokens).toBeGreaterThan(0);
  });

  it('continues a reply another generator started, yielding only the rest; refuses a text it would not have written', async () => {
    const provider = createEmbeddedChatProvider({ tokenDelayMs: 0 });
    const messages = [{ role: 'user' as const, content: 'What is hypertension?' }];
    const whole = splitIntoTokens(composeExtractiveAnswer('What is hypertension?', PASSAGES));
    const continuation = whole.slice(0, 4).join('');
    const { deltas, usage } = await collect(provider.stream(messages, { passages: PASSAGES, continuation }));
    expect(deltas).toEqual(whole.slice(4));
    expect(usage!.completionTokens).toBe(whole.length - 4);
    await expect(collect(provider.stream(messages, { passages: PASSAGES, continuation: 'Something else entirely' }))).rejects.toBeInstanceOf(ChatProviderError);
  });

  it('stops at once, without usage, when aborted', async () => {
    const provider = createEmbeddedChatProvider({ tokenDelayMs: 30 });
    const controller = new AbortController();
    const deltas: string[] = [];
    const chunks: ChatChunk[] = [];
    for await (const chunk of provider.stream([{ role: 'user', content: 'hello' }], { signal: controller.signal })) {
      chunks.push(chunk);
      if ('delta' in chunk) deltas.push(chunk.delta);
      if (deltas.length === 3) controller.abort();
    }
    expect(deltas).toHaveLength(3);
    expect(chunks.every((c) => 'delta' in c)).toBe(true);
  });
});

import { EMBEDDED_CHAT_MODEL, contentTerms } from './embedded.js';
import type { ChatPassage, ChatProvider, ChatUsage } from './provider.js';

/** One `[n]` of an answer: the passage it names and whether that passage supports its sentence. */
export interface CitationCheck {
  /** n, as written: the n-th passage. */
  marker: number;
  passageId: string;
  verified: boolean;
}

/** Share of a sentence's content words its passage must hold (numbers must all be there). */
const MIN_TERM_OVERLAP = 0.5;
/** Words are compared by their first letters, so "treated" matches "treatment". */
const STEM_CHARS = 5;

const stem = (term: string) => term.slice(0, STEM_CHARS);
const numbersIn = (text: string) => new Set((text.match(/\d+(?:[.,]\d+)?/g) ?? []).map((n) => n.replace(',', '.')));

/** Each sentence of an answer with the markers it carries ("… dose [2][3]." cites 2 and 3). */
export function citedSentences(answer: string): Array<{ sentence: string; markers: number[] }> {
  // After the full stop and any markers that follow it ("… dose. [2] Next"), never between them.
  const parts = answer.split(/(?<=[.!?](?:\s*\[\d+\])*)\s+(?=[^\s[])/u);
  return parts.flatMap((part) => {
    const markers = [...part.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    return markers.length ? [{ sentence: part.replace(/\s*\[\d+\]/g, '').trim(), markers: [...new Set(markers)] }] : [];
  });
}

/**
 * Whether a passage supports a sentence by overlap: every number of the sentence is in the
 * passage, and at least half of its content words (compared by stem) are.
 */
export function supportedByOverlap(sentence: string, passage: string): boolean {
  const passageNumbers = numbersIn(passage);
  for (const number of numbersIn(sentence)) if (!passageNumbers.has(number)) return false;
  const wanted = [...contentTerms(sentence)].filter((t) => !/^\d/.test(t));
  if (wanted.length === 0) return true;
  const present = new Set([...contentTerms(passage)].map(stem));
  return wanted.filter((t) => present.has(stem(t))).length / wanted.length >= MIN_TERM_OVERLAP;
}

const JUDGE_PROMPT =
  'You check citations. Reply "yes" when the passage states what the sentence says (paraphrase is fine), "no" otherwise. Reply with one word.';

async function judgeWithModel(provider: ChatProvider, sentence: string, passage: string, signal?: AbortSignal): Promise<{ verdict: boolean | undefined; usage?: ChatUsage }> {
  let text = '';
  let usage: ChatUsage | undefined;
  for await (const chunk of provider.stream(
    [
      { role: 'system', content: JUDGE_PROMPT },
      { role: 'user', content: `Passage: ${passage}\n\nSentence: ${sentence}` },
    ],
    { signal },
  )) {
    if ('delta' in chunk) text += chunk.delta;
    else usage = chunk.usage;
  }
  const word = text.trim().toLowerCase();
  return { verdict: word.startsWith('yes') ? true : word.startsWith('no') ? false : undefined, usage };
}

/**
 * Checks every `[n]` of an answer against its passage: by the language model as judge when one is
 * configured (its verdict unreadable or the call failing, by overlap), by overlap otherwise. A
 * marker naming no passage cites nothing and is left out. Returns the checks and what the judge spent.
 */
export async function verifyCitations(
  answer: string,
  passages: readonly ChatPassage[],
  provider?: ChatProvider,
  signal?: AbortSignal,
): Promise<{ checks: CitationCheck[]; usage: ChatUsage | undefined }> {
  const checks: CitationCheck[] = [];
  let usage: ChatUsage | undefined;
  const judge = provider && provider.model !== EMBEDDED_CHAT_MODEL ? provider : undefined;
  for (const { sentence, markers } of citedSentences(answer)) {
    for (const marker of markers) {
      const passage = passages[marker - 1];
      if (!passage) continue;
      let verified: boolean | undefined;
      if (judge && !signal?.aborted) {
        try {
          const judged = await judgeWithModel(judge, sentence, passage.text, signal);
          verified = judged.verdict;
          if (judged.usage) usage = { promptTokens: (usage?.promptTokens ?? 0) + judged.usage.promptTokens, completionTokens: (usage?.completionTokens ?? 0) + judged.usage.completionTokens };
        } catch {
          verified = undefined;
        }
      }
      checks.push({ marker, passageId: passage.id, verified: verified ?? supportedByOverlap(sentence, passage.text) });
    }
  }
  return { checks, usage };
}

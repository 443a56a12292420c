import { EMBEDDED_CHAT_MODEL, contentTerms } from './embedded.js';
import type { ChatPassage, ChatProvider, ChatUsage } from './provider.js';

/** One search of a multi-hop retrieval. */
export interface Hop {
  query: string;
  /** Searched with names taken from the previous hop's best passage (it asks about what that hop found). */
  bridged: boolean;
}

const MAX_HOPS = 3;
/** Shorter one-clause questions are one search without asking the model: a plan would cost a call each message. */
const PLAN_WORDS = 12;
const BRIDGE_TERMS = 3;

/**
 * A noun followed by a clause that picks it out: "the regimen that the stroke unit adopted",
 * "the protocol chosen by the sepsis pathway". What the clause picks is unknown until searched.
 */
const SELECTING_CLAUSE = /\b(?:the|a|an)\s+((?:[\p{L}-]+\s+){0,2}?[\p{L}-]+)\s+((?:that|which)\s+.+|(?:chosen|selected|recommended|named|adopted|preferred|specified|listed)\s+(?:by|in|for)\s+.+)$/iu;
/** Separate questions in one message: "…? What …", "… and what …". */
const QUESTION_BREAK = /\?\s+(?=\S)|,?\s+and\s+(?=(?:what|which|how|when|who|where|why|is|are|does|do|can|should)\b)/iu;

const clean = (text: string) => text.replace(/\s+/g, ' ').replace(/^[\s,;:]+|[\s?.!,;:]+$/g, '').trim();

/**
 * The embedded provider's plan: a question naming a thing only by what selects it becomes a
 * search for the selection, then a search for the question about what it found; several
 * questions in one become one search each. Anything else is one search, as before.
 */
export function planHopsHeuristically(question: string): Hop[] {
  const parts = question.split(QUESTION_BREAK).map(clean).filter((p) => contentTerms(p).size > 0);
  if (parts.length > 1) return parts.slice(0, MAX_HOPS).map((query) => ({ query, bridged: false }));
  const selecting = SELECTING_CLAUSE.exec(question);
  if (selecting) {
    const [whole, noun, clause] = selecting as unknown as [string, string, string];
    const selection = clean(`${noun} ${clause.replace(/^(?:that|which)\s+/i, '')}`);
    const asked = clean(question.slice(0, selecting.index + whole.length - clause.length));
    if (contentTerms(asked).size > 1 && contentTerms(selection).size > 1 && whole.length < question.length) {
      return [
        { query: selection, bridged: false },
        { query: asked, bridged: true },
      ];
    }
  }
  return [{ query: clean(question) || question, bridged: false }];
}

const PLAN_PROMPT = [
  'Split the user question into the knowledge-base searches needed to answer it, in order.',
  'Use one search when one passage can answer it. When a later search needs what an earlier one finds',
  '(e.g. the dose in a protocol that a guideline selects), mark it "bridged": true.',
  'Reply with JSON only: {"hops":[{"query":"...","bridged":false}]} with at most 3 hops.',
].join(' ');

function parsePlan(text: string): Hop[] | undefined {
  const json = /\{[\s\S]*\}/.exec(text)?.[0];
  if (!json) return undefined;
  try {
    const parsed = JSON.parse(json) as { hops?: unknown };
    if (!Array.isArray(parsed.hops)) return undefined;
    const hops = parsed.hops
      .filter((h): h is { query: string; bridged?: unknown } => typeof h === 'object' && h !== null && typeof (h as { query?: unknown }).query === 'string')
      .map((h, i) => ({ query: clean(h.query), bridged: i > 0 && h.bridged === true }))
      .filter((h) => h.query.length > 0);
    return hops.length > 0 ? hops.slice(0, MAX_HOPS) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The searches a question needs: planned by the language model when one is configured and the
 * question is long or has several parts (its plan unreadable or the call failing, the
 * heuristic's plan instead), by the heuristic otherwise.
 */
export async function planHops(provider: ChatProvider, question: string, signal?: AbortSignal, spent?: (usage: ChatUsage) => void): Promise<Hop[]> {
  const heuristic = planHopsHeuristically(question);
  if (provider.model === EMBEDDED_CHAT_MODEL) return heuristic;
  if (heuristic.length === 1 && question.split(/\s+/).length < PLAN_WORDS) return heuristic;
  try {
    let text = '';
    for await (const chunk of provider.stream(
      [
        { role: 'system', content: PLAN_PROMPT },
        { role: 'user', content: question },
      ],
      { signal },
    )) {
      if ('delta' in chunk) text += chunk.delta;
      else spent?.(chunk.usage);
    }
    return parsePlan(text) ?? heuristic;
  } catch {
    return heuristic;
  }
}

/**
 * Names the previous hop found that the question does not: capitalised words inside sentences
 * ("the Calder regimen"), codes and numbers with letters; failing those, its longest new words.
 */
export function bridgeTerms(passage: string, alreadyAsked: string): string[] {
  const asked = contentTerms(alreadyAsked);
  const named: string[] = [];
  for (const sentence of passage.split(/(?<=[.!?])\s+/)) {
    const words = sentence.match(/[\p{L}\p{N}][\p{L}\p{N}-]*/gu) ?? [];
    words.forEach((word, i) => {
      const distinctive = (i > 0 && /^\p{Lu}/u.test(word)) || (/\p{L}/u.test(word) && /\p{N}/u.test(word));
      if (distinctive && !asked.has(word.toLowerCase()) && contentTerms(word).size > 0) named.push(word);
    });
  }
  const unique = [...new Set(named)];
  if (unique.length > 0) return unique.slice(0, BRIDGE_TERMS);
  return [...contentTerms(passage)].filter((t) => !asked.has(t)).sort((a, b) => b.length - a.length).slice(0, BRIDGE_TERMS);
}

export interface MultiHopOptions {
  question: string;
  hops: readonly Hop[];
  /** One knowledge search, best first. */
  search: (query: string) => Promise<ChatPassage[]>;
  /** Passages in all. */
  limit: number;
}

/**
 * Passages for each hop, interleaved best first (each hop's best within the limit, so an answer
 * can cite every hop), each once, marked with its hop and the query that found it. One hop is
 * one search, exactly as a plain search.
 */
export async function retrieveMultiHop({ question, hops, search, limit }: MultiHopOptions): Promise<ChatPassage[]> {
  if (hops.length <= 1) return (await search(hops[0]?.query ?? question)).slice(0, limit);
  const perHop: ChatPassage[][] = [];
  for (const [i, hop] of hops.entries()) {
    const previousBest = perHop[i - 1]?.[0];
    const query = hop.bridged && previousBest ? `${hop.query} ${bridgeTerms(previousBest.text, `${question} ${hop.query}`).join(' ')}` : hop.query;
    const seen = new Set(perHop.flat().map((p) => p.id));
    perHop.push((await search(query)).filter((p) => !seen.has(p.id)).map((p) => ({ ...p, hop: i, query })));
  }
  const merged: ChatPassage[] = [];
  for (let rank = 0; merged.length < limit && perHop.some((found) => found.length > rank); rank += 1) {
    for (const found of perHop) {
      const passage = found[rank];
      if (passage && merged.length < limit) merged.push(passage);
    }
  }
  return merged;
}

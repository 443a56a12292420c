import { setTimeout as sleep } from 'node:timers/promises';
import { rememberedLines } from './memory-message.js';
import { ChatProviderError, estimatePromptTokens, estimateTokens, type ChatChunk, type ChatMessage, type ChatPassage, type ChatProvider, type ChatStreamOptions } from './provider.js';

export const EMBEDDED_CHAT_MODEL = 'embedded-extractive';

/** Said when there is nothing to draw on: the embedded provider never makes anything up. */
export const NO_KNOWLEDGE_ANSWER =
  'I have no knowledge source to draw on for this, so I cannot give you a grounded answer. ' +
  'Add documents to the knowledge base, or connect a language model, and ask again.';

const NO_MATCH_PREFIX = 'I found nothing in the knowledge base that answers this directly. The closest passage says:';
const NO_SENTENCE_ANSWER = 'The knowledge base has passages on this, but none states it in a whole sentence I can quote; see the cited sources';
const ANSWER_PREFIX = 'From the knowledge base:';
const RECALL_PREFIX = 'From what you have told me:';
const MAX_SENTENCES = 3;

const STOP_WORDS = new Set(
  'a an and are as at be but by can could did do does for from had has have how i if in into is it its may me my of on or our should so than that the their them then there these they this to was we were what when where which who why will with would you your about after before tell please'.split(' '),
);

/** Content words of a text, lower-cased (stop words and single letters left out). */
export function contentTerms(text: string): Set<string> {
  return new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((word) => word.length > 1 && !STOP_WORDS.has(word)));
}

/**
 * A passage as plain prose fragments: search snippets wrap matched words in Markdown bold
 * (`**word**`) and join separate excerpts with ` … `; neither belongs in an answer.
 */
function plainFragments(text: string): string[] {
  return text
    .replace(/\*\*|__|`/g, '')
    // A Markdown heading is a title, not a sentence of the answer.
    .replace(/^\s*#{1,6}\s.*$/gm, '\n')
    .split(/\s*…\s*|\n\s*\n/)
    .map((fragment) => fragment.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

/** Starts like a sentence (capital, digit, quote or bracket) and ends with its full stop. */
const WHOLE_SENTENCE = /^["'(\p{Lu}\p{N}].*[.!?]["')]?$/su;

/**
 * The whole sentences of a passage: a piece cut off at a passage or excerpt boundary (no
 * capital at its start, no full stop at its end) is left out.
 */
export function wholeSentences(text: string): string[] {
  return plainFragments(text).flatMap((fragment) =>
    fragment
      .split(/(?<=[.!?]["')]?)\s+(?=["'(\p{Lu}\p{N}])/u)
      .map((s) => s.trim())
      .filter((s) => WHOLE_SENTENCE.test(s)),
  );
}

/** The sentence with its citation marker before the final stop: "… blood pressure [1]." */
function cite(sentence: string, marker: number): string {
  const end = /[.!?]["')]?$/u.exec(sentence)!;
  return `${sentence.slice(0, end.index)} [${marker}]${sentence.slice(end.index)}`;
}

/**
 * The answer the embedded provider gives: whole sentences of the passages that share the most
 * words with the question (or with the sub-question a passage was found for), in passage order,
 * each marked with its passage number ([1] is the first passage, as the citations are listed).
 * When the passages come from several hops, the best sentence of each hop is kept, so the answer
 * cites each. Deterministic: the same question and passages always give the same answer.
 */
export function composeExtractiveAnswer(question: string, passages: readonly ChatPassage[], remembered: readonly string[] = []): string {
  const asked = contentTerms(question);
  const recalled = bestRemembered(asked, remembered);
  if (passages.length === 0) return recalled ? `${RECALL_PREFIX} ${recalled.line}` : NO_KNOWLEDGE_ANSWER;
  const candidates = passages.flatMap((passage, p) => {
    const wanted = passage.query ? new Set([...asked, ...contentTerms(passage.query)]) : asked;
    return wholeSentences(passage.text).map((sentence, s) => {
      let score = 0;
      for (const word of contentTerms(sentence)) if (wanted.has(word)) score += 1;
      return { sentence, p, s, score, hop: passage.hop ?? 0 };
    });
  });
  if (candidates.length === 0) return `${NO_SENTENCE_ANSWER} [1].`;
  const byScore = candidates.filter((c) => c.score > 0).sort((a, b) => b.score - a.score || a.p - b.p || a.s - b.s);
  // Asked about themself ("which specialty do I work in?"): what they said answers better than any passage.
  if (recalled && recalled.score >= (byScore[0]?.score ?? 0)) return `${RECALL_PREFIX} ${recalled.line}`;
  if (byScore.length === 0) {
    const first = candidates[0]!;
    return `${NO_MATCH_PREFIX} ${cite(first.sentence, first.p + 1)}`;
  }
  const hops = [...new Set(byScore.map((c) => c.hop))];
  const bestOfEachHop = hops.map((hop) => byScore.find((c) => c.hop === hop)!);
  const chosen = [...bestOfEachHop, ...byScore.filter((c) => !bestOfEachHop.includes(c))].slice(0, Math.max(MAX_SENTENCES, hops.length));
  chosen.sort((a, b) => a.p - b.p || a.s - b.s);
  return `${ANSWER_PREFIX} ${chosen.map((c) => cite(c.sentence, c.p + 1)).join(' ')}`;
}

/** A remembered line as said to the user: "The user’s specialty is X." → "Your specialty is X." */
function toSecondPerson(line: string): string {
  const said = line
    .replace(/\bThe user asked you\b/g, 'You asked me')
    .replace(/\bThe user’s\b/g, 'Your')
    .replace(/\bThe user is\b/g, 'You are')
    .replace(/\bThe user (\p{L}+?)s\b/gu, 'You $1')
    .replace(/\bThe user\b/g, 'You');
  return /[.!?]$/.test(said) ? said : `${said}.`;
}

/** The remembered line sharing the most words with the question, if any does. */
function bestRemembered(asked: ReadonlySet<string>, remembered: readonly string[]): { line: string; score: number } | undefined {
  let best: { line: string; score: number } | undefined;
  for (const line of remembered) {
    let score = 0;
    for (const word of contentTerms(line)) if (asked.has(word)) score += 1;
    if (score > 0 && (!best || score > best.score)) best = { line: toSecondPerson(line), score };
  }
  return best;
}

/** Word-sized pieces, each with the space before it, so joining them gives the text back. */
export function splitIntoTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

export interface EmbeddedChatOptions {
  /** Pause before each token, so streaming is observable (0 for none). */
  tokenDelayMs?: number;
}

/**
 * The provider that needs no network: an extractive answer composed from the retrieved
 * passages (or an honest statement that there are none), streamed token by token.
 */
export function createEmbeddedChatProvider({ tokenDelayMs = 20 }: EmbeddedChatOptions = {}): ChatProvider {
  return {
    model: EMBEDDED_CHAT_MODEL,
    async *stream(messages: readonly ChatMessage[], options: ChatStreamOptions = {}): AsyncGenerator<ChatChunk> {
      const { signal, continuation = '' } = options;
      const question = messages.findLast((m) => m.role === 'user')?.content ?? '';
      const answer = composeExtractiveAnswer(question, options.passages ?? [], rememberedLines(messages));
      // Deterministic, so a reply another generator started continues exactly where it stopped;
      // a text this answer does not start with cannot be continued.
      if (!answer.startsWith(continuation)) throw new ChatProviderError('The embedded provider cannot continue this reply');
      const tokens = splitIntoTokens(answer.slice(continuation.length));
      for (const token of tokens) {
        if (tokenDelayMs > 0) {
          try {
            await sleep(tokenDelayMs, undefined, { signal });
          } catch {
            return;
          }
        }
        if (signal?.aborted) return;
        yield { delta: token };
      }
      const passageText = (options.passages ?? []).map((p) => p.text).join('\n');
      yield {
        usage: {
          promptTokens: estimatePromptTokens(messages) + Math.ceil(passageText.length / 4) + estimateTokens(continuation),
          completionTokens: tokens.length,
        },
      };
    },
  };
}

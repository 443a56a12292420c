import type { ReplyToken } from './conversation-client.js';
import type { SpeechAudio } from './speech.js';
import { speakableText } from './speech.js';

/** One event of `speechStream`: a sentence's audio, or the end. */
export interface SpeechChunk {
  messageId: string;
  index: number;
  /** What is spoken (the sentence, Markdown removed); empty on the end event. */
  text: string;
  audio: SpeechAudio | null;
  done: boolean;
}

/** A sentence ends at . ! ? (with closing quotes or brackets) before white space, or at a line break. */
const BOUNDARY = /[.!?]+["')\]]*\s+|\n+/g;
/** Sentences shorter than this join the next one: fewer, more natural pieces of audio. */
const MIN_SENTENCE_CHARS = 12;
/** A sentence longer than this is cut at a word boundary: synthesis has a length limit. */
const MAX_SENTENCE_CHARS = 600;

/**
 * Cuts text into sentences as it grows. The cuts depend only on the text, not on how it arrived
 * in tokens, so a reader who reconnects gets the same sentences at the same indexes.
 */
export class SentenceSplitter {
  private pending = '';

  /** Adds text; returns the sentences it completed. */
  push(delta: string): string[] {
    this.pending += delta;
    const sentences: string[] = [];
    let start = 0;
    for (const match of this.pending.matchAll(BOUNDARY)) {
      const end = match.index + match[0].length;
      // A boundary at the very end may grow (". " then "\n"): wait for the next token.
      if (end === this.pending.length) break;
      const sentence = this.pending.slice(start, end);
      if (sentence.trim().length < MIN_SENTENCE_CHARS) continue;
      sentences.push(...cut(sentence));
      start = end;
    }
    this.pending = this.pending.slice(start);
    return sentences;
  }

  /** The rest, once the text is complete. */
  end(): string[] {
    const rest = this.pending;
    this.pending = '';
    return rest.trim() ? cut(rest) : [];
  }
}

function cut(sentence: string): string[] {
  const pieces: string[] = [];
  let rest = sentence.trim();
  while (rest.length > MAX_SENTENCE_CHARS) {
    const at = rest.lastIndexOf(' ', MAX_SENTENCE_CHARS);
    const split = at > 0 ? at : MAX_SENTENCE_CHARS;
    pieces.push(rest.slice(0, split));
    rest = rest.slice(split).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/**
 * A reply's speech, sentence by sentence while its tokens arrive: each sentence is synthesized
 * as soon as it is complete (while later tokens keep coming), and delivered in order. Chunks up
 * to `afterIndex` are skipped without synthesis; the last event is `done`.
 */
export async function* speechChunks(
  messageId: string,
  tokens: AsyncGenerator<ReplyToken>,
  afterIndex: number,
  synthesize: (text: string) => Promise<SpeechAudio>,
): AsyncGenerator<SpeechChunk> {
  const splitter = new SentenceSplitter();
  const queue: Array<{ index: number; text: string; audio: Promise<SpeechAudio> }> = [];
  let next = 0;
  const enqueue = (sentences: string[]) => {
    for (const sentence of sentences) {
      const text = speakableText(sentence);
      // Nothing to say (a code block, a lone citation): no chunk, so indexes stay the same for everyone.
      if (!/[\p{L}\p{N}]/u.test(text)) continue;
      const index = next++;
      if (index <= afterIndex) continue;
      const audio = synthesize(text);
      // Awaited in order below; this keeps a failure from being reported as unhandled meanwhile.
      audio.catch(() => undefined);
      queue.push({ index, text, audio });
    }
  };
  // Tokens are read in the background so synthesis of one sentence overlaps the next tokens.
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const reader = (async () => {
    try {
      for await (const token of tokens) {
        enqueue(token.done ? splitter.end() : splitter.push(token.delta));
        wake?.();
        if (token.done) break;
      }
      enqueue(splitter.end());
    } catch (error) {
      failure = error;
    } finally {
      finished = true;
      wake?.();
    }
  })();
  try {
    for (;;) {
      const head = queue.shift();
      if (head) {
        yield { messageId, index: head.index, text: head.text, audio: await head.audio, done: false };
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    if (failure) throw failure;
    yield { messageId, index: Math.max(next, afterIndex + 1), text: '', audio: null, done: true };
  } finally {
    // A listener who leaves stops the token stream too (it ends by itself when it was read through).
    if (!finished) void tokens.return(undefined).catch(() => undefined);
    void reader;
  }
}

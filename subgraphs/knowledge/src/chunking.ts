import { headingPath, type TextBlock } from './extraction/index.js';

export interface ChunkingOptions {
  /** Target length in characters; a chunk exceeds it only when one word does. */
  targetChars: number;
  /** Whole trailing sentences of a chunk repeated at the start of the next one, within a section. */
  overlapChars: number;
}

export interface TextChunk {
  ordinal: number;
  /** Section headings joined with " > ", or null before the first heading. */
  heading: string | null;
  content: string;
  page: number | null;
  pageEnd: number | null;
}

interface Unit {
  text: string;
  /** Starts a paragraph (joined with a blank line) rather than continuing one (joined with a space). */
  paragraphStart: boolean;
  page: number | undefined;
  pageEnd: number | undefined;
}

export const HEADING_SEPARATOR = ' > ';
const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

export function sentencesOf(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment.trim()).filter(Boolean);
}

/** Pieces of at most `max` characters, cut between words (a single longer word is cut where it must). */
function splitWords(text: string, max: number): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    for (let start = 0; start < word.length; start += max) {
      const part = word.slice(start, start + max);
      if (current && current.length + 1 + part.length > max) {
        pieces.push(current);
        current = '';
      }
      current = current ? `${current} ${part}` : part;
    }
  }
  if (current) pieces.push(current);
  return pieces;
}

/** A block as units no longer than the target: itself, else its sentences, else word runs. */
function unitsOf(block: TextBlock, targetChars: number): Unit[] {
  const base = { page: block.page, pageEnd: block.pageEnd ?? block.page };
  if (block.text.length <= targetChars) return [{ text: block.text, paragraphStart: true, ...base }];
  const pieces = sentencesOf(block.text).flatMap((sentence) => (sentence.length <= targetChars ? [sentence] : splitWords(sentence, targetChars)));
  return pieces.map((text, i) => ({ text, paragraphStart: i === 0, ...base }));
}

const joinUnits = (units: Unit[]) => units.map((u, i) => (i === 0 ? u.text : `${u.paragraphStart ? '\n\n' : ' '}${u.text}`)).join('');

/** The trailing sentences of a chunk that fit in `overlapChars`, as continuation units. */
function overlapOf(units: Unit[], overlapChars: number): Unit[] {
  if (overlapChars <= 0) return [];
  const last = units.at(-1)!;
  const sentences = sentencesOf(last.text);
  const kept: string[] = [];
  let length = 0;
  for (let i = sentences.length - 1; i >= 0; i--) {
    const sentence = sentences[i]!;
    if (length + sentence.length + 1 > overlapChars) break;
    kept.unshift(sentence);
    length += sentence.length + 1;
  }
  // Repeating the whole chunk would only duplicate it.
  if (kept.length === 0 || (units.length === 1 && kept.length === sentences.length)) return [];
  return [{ text: kept.join(' '), paragraphStart: true, page: last.pageEnd, pageEnd: last.pageEnd }];
}

/**
 * Chunks that follow the document's structure: a new section (heading) always starts a new
 * chunk; within a section, paragraphs are packed up to the target size, a paragraph too long
 * for one chunk is cut between sentences (never mid-sentence unless one sentence is longer than
 * the target), and each chunk after the first starts with the previous one's last sentences.
 */
export function chunkBlocks(blocks: TextBlock[], { targetChars, overlapChars }: ChunkingOptions): TextChunk[] {
  const chunks: TextChunk[] = [];
  const emit = (units: Unit[], heading: string | null) => {
    const pages = units.flatMap((u) => [u.page, u.pageEnd]).filter((p): p is number => p !== undefined);
    chunks.push({
      ordinal: chunks.length,
      heading,
      content: joinUnits(units),
      page: pages.length ? Math.min(...pages) : null,
      pageEnd: pages.length ? Math.max(...pages) : null,
    });
  };

  let i = 0;
  while (i < blocks.length) {
    const key = headingPath(blocks[i]!.headings).join(HEADING_SEPARATOR);
    const section: TextBlock[] = [];
    while (i < blocks.length && headingPath(blocks[i]!.headings).join(HEADING_SEPARATOR) === key) section.push(blocks[i++]!);
    const heading = key || null;

    let current: Unit[] = [];
    let fresh = 0;
    for (const unit of section.flatMap((block) => unitsOf(block, targetChars))) {
      const length = current.length ? joinUnits([...current, unit]).length : unit.text.length;
      if (fresh > 0 && length > targetChars) {
        emit(current, heading);
        current = overlapOf(current, Math.min(overlapChars, targetChars - unit.text.length - 2));
        fresh = 0;
      }
      current.push(unit);
      fresh += 1;
    }
    if (fresh > 0) emit(current, heading);
  }
  return chunks;
}

/** What is embedded for a chunk: its document title and section give the passage its context. */
export function embeddingText(title: string, chunk: Pick<TextChunk, 'heading' | 'content'>): string {
  return [title, chunk.heading, chunk.content].filter(Boolean).join('\n\n');
}

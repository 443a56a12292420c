import { describe, expect, it } from 'vitest';
import { chunkBlocks, sentencesOf } from './chunking.js';

const sentence = (n: number) => `Sentence number ${n} says something about dosing and monitoring of the drug.`;
const paragraph = (from: number, count: number) => Array.from({ length: count }, (_, i) => sentence(from + i)).join(' ');

describe('chunking', () => {
  it('starts a new chunk at every heading, even when the previous one is short', () => {
    const chunks = chunkBlocks(
      [
        { text: 'Intro text.', headings: [] },
        { text: 'Give antibiotics.', headings: ['Sepsis'] },
        { text: 'Give fluids.', headings: ['Sepsis', 'Fluids'] },
      ],
      { targetChars: 500, overlapChars: 100 },
    );
    expect(chunks.map((c) => [c.heading, c.content])).toEqual([
      [null, 'Intro text.'],
      ['Sepsis', 'Give antibiotics.'],
      ['Sepsis > Fluids', 'Give fluids.'],
    ]);
    expect(chunks.map((c) => c.ordinal)).toEqual([0, 1, 2]);
  });

  it('packs paragraphs up to the target and never cuts a sentence in two', () => {
    const blocks = [0, 10, 20].map((from) => ({ text: paragraph(from, 10), headings: ['Dosing'] }));
    const chunks = chunkBlocks(blocks, { targetChars: 400, overlapChars: 0 });
    expect(chunks.length).toBeGreaterThan(5);
    const all = new Set(Array.from({ length: 30 }, (_, i) => sentence(i)));
    for (const chunk of chunks) {
      expect(chunk.content.length).toBeLessThanOrEqual(400);
      for (const s of sentencesOf(chunk.content)) expect(all.has(s), s).toBe(true);
    }
    // Every sentence is kept, in order.
    expect(chunks.flatMap((c) => sentencesOf(c.content))).toEqual([...all]);
  });

  it('repeats the previous chunk’s last sentences (up to the overlap) at the start of the next', () => {
    const chunks = chunkBlocks([{ text: paragraph(0, 12), headings: [] }], { targetChars: 400, overlapChars: 160 });
    for (let i = 1; i < chunks.length; i++) {
      const previous = sentencesOf(chunks[i - 1]!.content);
      const current = sentencesOf(chunks[i]!.content);
      expect(current[0]).toBe(previous.at(-1));
      expect(current.length).toBeGreaterThan(1);
    }
  });

  it('cuts a sentence longer than the target between words, and keeps PDF page ranges', () => {
    const long = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    const chunks = chunkBlocks(
      [
        { text: long, headings: [], page: 3, pageEnd: 3 },
        { text: 'Continued on the next page.', headings: [], page: 3, pageEnd: 4 },
      ],
      { targetChars: 300, overlapChars: 0 },
    );
    expect(chunks.every((c) => c.content.length <= 300)).toBe(true);
    expect(chunks.map((c) => c.content).join(' ').replace('Continued on the next page.', '').trim()).toBe(long);
    expect(chunks[0]).toMatchObject({ page: 3, pageEnd: 3 });
    expect(chunks.at(-1)).toMatchObject({ pageEnd: 4 });
  });
});

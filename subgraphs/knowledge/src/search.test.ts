import { describe, expect, it } from 'vitest';
import { openingSnippet, reciprocalRankFusion, RRF_K } from './search.js';

const list = (...ids: string[]) => ids.map((chunkId) => ({ chunkId, score: 0 }));

describe('reciprocal rank fusion', () => {
  it('scores each chunk Σ 1/(k + rank) over the lists it is in, best first', () => {
    const fused = reciprocalRankFusion([list('a', 'b', 'c'), list('c', 'a')]);
    expect(fused.map((hit) => hit.chunkId)).toEqual(['a', 'c', 'b']);
    expect(fused[0]!.score).toBeCloseTo(1 / (RRF_K + 1) + 1 / (RRF_K + 2));
    expect(fused[2]!.score).toBeCloseTo(1 / (RRF_K + 2));
  });

  it('keeps a single list’s order and handles empty lists', () => {
    expect(reciprocalRankFusion([list('x', 'y'), []]).map((hit) => hit.chunkId)).toEqual(['x', 'y']);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
  });
});

describe('opening snippet (citations resolved without a query)', () => {
  it('keeps short passages whole and cuts long ones at a word', () => {
    expect(openingSnippet('Short  passage.\nTwo lines.')).toBe('Short passage. Two lines.');
    const long = 'word '.repeat(100);
    const snippet = openingSnippet(long, 50);
    expect(snippet.endsWith(' …')).toBe(true);
    expect(snippet.length).toBeLessThanOrEqual(52);
    expect(snippet.replace(' …', '').split(' ').every((w) => w === 'word')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { connectionOf, cursorDate, cursorInteger, cursorOf, cursorString, pageRequest } from './index.js';

const codeAndField = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    const extensions = (error as { extensions?: Record<string, unknown> }).extensions;
    return [extensions?.code, extensions?.field];
  }
  throw new Error('expected an error');
};

describe('pagination', () => {
  it('pages through rows with cursors that lead to the next page', () => {
    const rows = [{ id: 1 }, { id: 2 }, { id: 3 }];
    const first = connectionOf(rows, 2, (row) => [row.id], 'item');
    expect(first.edges.map((edge) => edge.node.id)).toEqual([1, 2]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(pageRequest('item', { first: 2, after: first.pageInfo.endCursor }).after).toEqual([2]);
    const last = connectionOf(rows.slice(2), 2, (row) => [row.id], 'item');
    expect(last.pageInfo).toEqual({ hasNextPage: false, endCursor: cursorOf('item', [3]) });
    expect(connectionOf([], 2, () => [], 'item').pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('checks first against its range, with the default when it is absent', () => {
    expect(pageRequest('item', {}).limit).toBe(20);
    expect(pageRequest('item', { first: null }, 50).limit).toBe(50);
    expect(pageRequest('item', { first: 100 }).limit).toBe(100);
    for (const first of [0, 101, 1.5, -1]) expect(codeAndField(() => pageRequest('item', { first }))).toEqual(['BAD_USER_INPUT', 'first']);
  });

  it("refuses a cursor of another list, or one it did not issue, on the after field", () => {
    for (const after of [cursorOf('user', [1]), 'not-a-cursor', Buffer.from('{"a":1}').toString('base64url')]) {
      expect(codeAndField(() => pageRequest('item', { after }))).toEqual(['BAD_USER_INPUT', 'after']);
    }
  });

  it('reads typed position fields and refuses the wrong type', () => {
    expect(cursorDate('2026-11-22T07:00:00.000Z').toISOString()).toBe('2026-11-22T07:00:00.000Z');
    expect(cursorInteger(42)).toBe(42);
    expect(cursorString('abc', (value) => value.length === 3)).toBe('abc');
    for (const run of [() => cursorDate('yesterday'), () => cursorDate(5), () => cursorInteger('42'), () => cursorInteger(1.5), () => cursorString('abcd', (value) => value.length === 3)]) {
      expect(codeAndField(run)).toEqual(['BAD_USER_INPUT', 'after']);
    }
  });
});

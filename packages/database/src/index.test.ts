import { describe, expect, it } from 'vitest';
import { isUuid } from './index.js';

describe('isUuid', () => {
  it('accepts the ids PostgreSQL generates, in either case', () => {
    expect(isUuid('0b7e4a3c-5f1d-4c2e-9a8b-1c2d3e4f5a6b')).toBe(true);
    expect(isUuid('0B7E4A3C-5F1D-4C2E-9A8B-1C2D3E4F5A6B')).toBe(true);
  });

  it('refuses what a uuid column would reject', () => {
    for (const value of ['', 'user-1', '0b7e4a3c-5f1d-4c2e-9a8b-1c2d3e4f5a6', '0b7e4a3c-5f1d-4c2e-9a8b-1c2d3e4f5a6b ', "0b7e4a3c-5f1d-4c2e-9a8b-1c2d3e4f5a6b'; drop table users; --", '0b7e4a3c5f1d4c2e9a8b1c2d3e4f5a6b']) {
      expect(isUuid(value), value).toBe(false);
    }
  });
});

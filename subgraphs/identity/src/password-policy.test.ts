import { describe, expect, it } from 'vitest';
import { checkPassword, isCommonPassword } from './password-policy.js';

describe('password policy', () => {
  it('accepts a long uncommon passphrase', () => {
    expect(checkPassword('violet kettle harbour 42', { email: 'alice@example.com' })).toEqual([]);
    expect(checkPassword('Xk9#mP2$vL7q', { email: 'alice@example.com' })).toEqual([]);
  });

  it('requires at least 12 characters, counting characters rather than bytes', () => {
    expect(checkPassword('sT9#kw!Lq2z')).toEqual(['TOO_SHORT']);
    expect(checkPassword('ünïcödé✓✓✓✓✓✓')).toEqual([]);
    expect(checkPassword('ünïcödé✓✓✓✓')).toEqual(['TOO_SHORT']);
  });

  it('refuses absurdly long passwords', () => {
    expect(checkPassword('violet kettle '.repeat(20))).toContain('TOO_LONG');
  });

  it.each([
    'password1234',
    'Password123!',
    'PASSWORD2024!!',
    'P@ssw0rd2024!',
    'qwertyuiop12',
    'iloveyou1234',
    '123456789012',
    '111111111111',
    'passwordpassword',
    'abcabcabcabc',
    '!!Welcome2024',
    'letmein!!!!!',
    'Dragon_123456',
  ])('flags %s as common', (password) => {
    expect(isCommonPassword(password)).toBe(true);
    expect(checkPassword(password)).toContain('COMMON_PASSWORD');
  });

  it.each(['correct horse battery', 'violet kettle harbour', 'Tr0ub4dor&3xyz'])('does not flag %s', (password) => {
    expect(isCommonPassword(password)).toBe(false);
  });

  it('refuses passwords containing the email local part, or a longer word of it, in any case', () => {
    expect(checkPassword('my-Alice-is-great-9', { email: 'alice@example.com' })).toEqual(['CONTAINS_EMAIL']);
    expect(checkPassword('xx SMITH rules 77', { email: 'john.smith+work@example.com' })).toEqual(['CONTAINS_EMAIL']);
    // Very short local parts would forbid half the alphabet; they are not checked.
    expect(checkPassword('violet kettle harbour', { email: 'vi@example.com' })).toEqual([]);
  });

  it('returns every broken rule at once', () => {
    expect(checkPassword('bob123', { email: 'bob@example.com' })).toEqual(['TOO_SHORT', 'CONTAINS_EMAIL']);
    expect(checkPassword('password1', { email: 'password@example.com' })).toEqual(['TOO_SHORT', 'COMMON_PASSWORD', 'CONTAINS_EMAIL']);
  });
});

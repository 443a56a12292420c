import { describe, expect, it } from 'vitest';
import { badUserInput, formatError, rateLimited } from './index.js';

describe('formatError', () => {
  it('keeps registry codes and their extensions', () => {
    const error = badUserInput('Email is invalid', 'input.email');
    expect(formatError({ message: error.message, extensions: error.extensions })).toEqual({
      message: 'Email is invalid',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.email' },
    });
    expect(rateLimited(0.2).extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
  });

  it('hides the detail of unexpected errors and drops stack traces', () => {
    const out = formatError({
      message: 'relation "identity.users" does not exist',
      path: ['me'],
      extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['Error: at db.ts:1'] },
    });
    expect(out).toEqual({ message: 'Internal server error', path: ['me'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it("keeps Apollo's codes for documents that do not parse or validate, and reports other malformed requests as BAD_USER_INPUT", () => {
    const syntax = formatError({ message: 'Syntax Error: Expected Name, found <EOF>.', extensions: { code: 'GRAPHQL_PARSE_FAILED', http: { status: 400 } } });
    expect(syntax).toEqual({ message: 'Syntax Error: Expected Name, found <EOF>.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    const unknownField = formatError({ message: 'Cannot query field "nope" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(unknownField.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    const badRequest = formatError({ message: 'GraphQL operations must contain a non-empty `query`', extensions: { code: 'BAD_REQUEST' } });
    expect(badRequest.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'BAD_REQUEST' });
  });

  it('keeps stack traces only when asked (development)', () => {
    const out = formatError({ message: 'boom', extensions: { code: 'X', stacktrace: ['s'] } }, { includeStacktrace: true });
    expect(out).toEqual({ message: 'boom', extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['s'] } });
  });
});

import { describe, expect, it } from 'vitest';
import { GraphQLRequestError, fieldErrors, isDocumentError, retryAfterSeconds } from './errors.js';

describe('errors', () => {
  const error = new GraphQLRequestError(
    [
      { message: 'Password does not meet the policy', extensions: { code: 'BAD_USER_INPUT', field: 'input.password', reasons: ['TOO_SHORT', 'COMMON_PASSWORD'] } },
      { message: 'An account with this email already exists', extensions: { code: 'CONFLICT', field: 'input.email' } },
      { message: 'Something else', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ],
    200,
  );

  it('names each input at fault without the input. prefix, with its reasons', () => {
    expect(fieldErrors(error)).toEqual({
      password: { field: 'password', message: 'Password does not meet the policy', code: 'BAD_USER_INPUT', reasons: ['TOO_SHORT', 'COMMON_PASSWORD'] },
      email: { field: 'email', message: 'An account with this email already exists', code: 'CONFLICT', reasons: [] },
    });
    expect(fieldErrors(new Error('plain'))).toEqual({});
  });

  it('exposes the first code, any code, and the wait of a rate limit', () => {
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.hasCode('CONFLICT')).toBe(true);
    expect(error.hasCode('FORBIDDEN')).toBe(false);
    expect(retryAfterSeconds(error)).toBeUndefined();
    expect(retryAfterSeconds(new GraphQLRequestError([{ message: 'Slow down', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 12 } }], 429))).toBe(12);
  });

  it('tells documents the server cannot run (out of date with the schema) from other errors', () => {
    expect(isDocumentError(new GraphQLRequestError([{ message: 'Syntax Error: Unexpected <EOF>.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }], 400))).toBe(true);
    expect(isDocumentError(new GraphQLRequestError([{ message: 'Cannot query field "gone" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }], 200))).toBe(true);
    expect(isDocumentError(error)).toBe(false);
    expect(isDocumentError(new Error('Syntax Error'))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, loadEnv } from '@voiceassist/env';
import { identityEnvSchema } from './env.js';

describe('identity env', () => {
  it('refuses to start with access tokens living longer than every verifier accepts', () => {
    expect(() => loadEnv(identityEnvSchema, { ACCESS_TOKEN_TTL_SECONDS: '7200' })).toThrow(InvalidEnvironmentError);
    expect(() => loadEnv(identityEnvSchema, { ACCESS_TOKEN_TTL_SECONDS: '7200' })).toThrow(/ACCESS_TOKEN_TTL_SECONDS: must not exceed ACCESS_TOKEN_MAX_LIFETIME_SECONDS/);
    expect(loadEnv(identityEnvSchema, { ACCESS_TOKEN_TTL_SECONDS: '7200', ACCESS_TOKEN_MAX_LIFETIME_SECONDS: '7200' }).ACCESS_TOKEN_TTL_SECONDS).toBe(7200);
    expect(loadEnv(identityEnvSchema, {})).toMatchObject({ ACCESS_TOKEN_TTL_SECONDS: 900, ACCESS_TOKEN_MAX_LIFETIME_SECONDS: 3600 });
  });
});

import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '@voiceassist/errors';
import { createInProcessRevocations, createSessionRevocations, type SessionRevocations } from './revocations.js';
import { createAccessTokenVerifier, type AccessTokenVerifier } from './tokens.js';

const ISSUER = 'test-issuer';
const AUDIENCE = 'test-audience';
let privateKey: CryptoKey;
let resolver: ReturnType<typeof createLocalJWKSet>;
let revocations: SessionRevocations;
let verifier: AccessTokenVerifier;

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  privateKey = pair.privateKey;
  resolver = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA' }] });
  revocations = createInProcessRevocations(randomUUID());
  verifier = createAccessTokenVerifier({ keys: { resolver }, issuer: ISSUER, audience: AUDIENCE, revocations, maxLifetimeSeconds: 3600 });
});
afterAll(() => revocations.close());

/** A token signed with the trusted key, issued at `iat` and living `lifetime` seconds. */
function token(lifetime: number, options: { iat?: number; sid?: string } = {}) {
  const iat = options.iat ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'USER', sid: options.sid ?? randomUUID() })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
    .setSubject('user-1')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime)
    .sign(privateKey);
}

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: Error) => `${errorCode(error)}: ${error.message}`,
  );

describe('access-token lifetime', () => {
  it('accepts a correctly signed token living up to the maximum', async () => {
    expect(await outcome(verifier.verify(await token(3600)))).toBe('accepted');
  });

  it('refuses a correctly signed token living longer, however little longer', async () => {
    expect(await outcome(verifier.verify(await token(3601)))).toBe('UNAUTHENTICATED: Access token lifetime exceeds the maximum');
    expect(await outcome(verifier.verify(await token(10 * 365 * 86_400)))).toBe('UNAUTHENTICATED: Access token lifetime exceeds the maximum');
  });

  it('refuses a token claiming to be issued in the future (which would stretch its life)', async () => {
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    expect(await outcome(verifier.verify(await token(600, { iat: inAnHour })))).toBe('UNAUTHENTICATED: Access token lifetime exceeds the maximum');
  });

  it('refuses a revoked session from memory', async () => {
    const sid = randomUUID();
    const signed = await token(600, { sid });
    expect(await outcome(verifier.verify(signed))).toBe('accepted');
    await revocations.revoke(sid, 3600);
    expect(await outcome(verifier.verify(signed))).toBe('UNAUTHENTICATED: Session has been revoked');
  });
});

describe('before the revoked sessions are known', () => {
  it('refuses every token (briefly waiting for them), then accepts once synced', async () => {
    let answer: () => void = () => {};
    const unsynced = createSessionRevocations({
      namespace: randomUUID(),
      sync: { source: () => new Promise((resolve) => (answer = () => resolve({ asOf: Date.now(), revocations: [] }))), intervalMs: 60_000 },
    });
    const early = createAccessTokenVerifier({ keys: { resolver }, issuer: ISSUER, audience: AUDIENCE, revocations: unsynced });
    const signed = await token(600);
    expect(await outcome(early.verify(signed))).toBe('UNAUTHENTICATED: Sessions cannot be checked yet; try again shortly');
    const waiting = outcome(early.verify(signed));
    answer();
    expect(await waiting).toBe('accepted');
    await unsynced.close();
  });
});

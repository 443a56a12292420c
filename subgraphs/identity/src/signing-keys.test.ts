import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportPKCS8, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessTokenVerifier, createInProcessRevocations, type AccessTokenVerifier } from '@voiceassist/auth';
import type { DatabaseHandle } from '@voiceassist/database';
import { errorCode } from '@voiceassist/errors';
import { createAccessTokenIssuer } from './access-tokens.js';
import { signingKeys as signingKeysTable } from './db/schema.js';
import { createSigningKeys, type SigningKeys } from './signing-keys.js';
import { openTestDatabase } from '@voiceassist/testkit/database';
import { identityDatabase } from './db/database.js';

const TTL = 900;
const ISSUER = 'voiceassist-identity';
const AUDIENCE = 'voiceassist';

let database: DatabaseHandle;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ database, close } = await openTestDatabase(identityDatabase));
});
afterAll(() => close());

/** A controllable clock shared by keys, issuer and the checks below. */
function clock(start = Date.now()) {
  let time = start;
  return { now: () => time, advance: (seconds: number) => (time += seconds * 1000) };
}

function setup(options: { envPrivateKeyPem?: string; now?: () => number } = {}) {
  const keys = createSigningKeys({ db: database.db, accessTokenTtlSeconds: TTL, ...options });
  const issuer = createAccessTokenIssuer({ keys, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: TTL, ...(options.now ? { now: options.now } : {}) });
  const revocations = createInProcessRevocations(randomUUID());
  const verifier = createAccessTokenVerifier({ keys: { resolver: keys.resolver }, issuer: ISSUER, audience: AUDIENCE, revocations });
  return { keys, issuer, verifier, revocations };
}

async function rejection(verifier: AccessTokenVerifier, token: string) {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  return { code: errorCode(error), message: error?.message };
}

describe('signing keys and access tokens', () => {
  let keys: SigningKeys;
  let tokens: ReturnType<typeof setup>;

  beforeAll(async () => {
    await database.db.delete(signingKeysTable);
    tokens = setup();
    keys = tokens.keys;
    await keys.init();
  });

  it('issues an EdDSA token with sub, role, sid, iat, exp, iss, aud and kid, that verifies', async () => {
    const { token, expiresAt } = await tokens.issuer.issue({ userId: 'user-1', role: 'ADMIN', sessionId: 'session-1' });
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    expect(header.alg).toBe('EdDSA');
    expect(header.kid).toBe((await keys.current()).kid);
    expect(claims).toMatchObject({ sub: 'user-1', role: 'ADMIN', sid: 'session-1', iss: ISSUER, aud: AUDIENCE });
    expect(claims.exp! - claims.iat!).toBe(TTL);
    expect(expiresAt.getTime()).toBe(claims.exp! * 1000);
    await expect(tokens.verifier.verify(token)).resolves.toMatchObject({ userId: 'user-1', role: 'ADMIN', sessionId: 'session-1' });
  });

  it('keeps the generated key across restarts: a second instance signs with the same key', async () => {
    const again = setup();
    await again.keys.init();
    expect((await again.keys.current()).kid).toBe((await keys.current()).kid);
    const { token } = await again.issuer.issue({ userId: 'u', role: 'USER', sessionId: 's' });
    await expect(tokens.verifier.verify(token)).resolves.toMatchObject({ userId: 'u' });
    const rows = await database.db.select().from(signingKeysTable);
    expect(rows).toHaveLength(1);
  });

  it('publishes only public key material in the JWKS', async () => {
    const { keys: published } = await keys.jwks();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: (await keys.current()).kid });
    expect(published[0]).not.toHaveProperty('d');
  });

  it('rejects an expired token', async () => {
    const past = setup({ now: () => Date.now() - (TTL + 5) * 1000 });
    const { token } = await past.issuer.issue({ userId: 'u', role: 'USER', sessionId: 's' });
    expect(await rejection(tokens.verifier, token)).toEqual({ code: 'UNAUTHENTICATED', message: 'Access token has expired' });
  });

  it('rejects a token whose claims were edited, or that another key signed', async () => {
    const { token } = await tokens.issuer.issue({ userId: 'u', role: 'USER', sessionId: 's' });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const elevated = Buffer.from(JSON.stringify({ ...claims, role: 'SUPERADMIN' })).toString('base64url');
    expect(await rejection(tokens.verifier, `${header}.${elevated}.${signature}`)).toEqual({ code: 'UNAUTHENTICATED', message: 'Invalid access token' });

    // Same kid in the header, but signed by a key the attacker made.
    const { privateKey } = await generateKeyPair('Ed25519');
    const forged = await new SignJWT({ role: 'SUPERADMIN', sid: 's' })
      .setProtectedHeader({ alg: 'EdDSA', kid: (await keys.current()).kid })
      .setSubject('u')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    expect(await rejection(tokens.verifier, forged)).toEqual({ code: 'UNAUTHENTICATED', message: 'Invalid access token' });
    expect((await rejection(tokens.verifier, 'not.a.token')).code).toBe('UNAUTHENTICATED');
  });

  it('rejects a token for another audience or issuer', async () => {
    const other = createAccessTokenIssuer({ keys, issuer: ISSUER, audience: 'another-app', ttlSeconds: TTL });
    const { token } = await other.issue({ userId: 'u', role: 'USER', sessionId: 's' });
    expect(await rejection(tokens.verifier, token)).toEqual({ code: 'UNAUTHENTICATED', message: 'Invalid access token' });
  });

  it('rejects tokens of a revoked session', async () => {
    const { token } = await tokens.issuer.issue({ userId: 'u', role: 'USER', sessionId: 'to-revoke' });
    await tokens.revocations.revoke('to-revoke', TTL);
    expect(await rejection(tokens.verifier, token)).toEqual({ code: 'UNAUTHENTICATED', message: 'Session has been revoked' });
  });
});

describe('key rotation', () => {
  it('signs with the new key and keeps the old public key published until its tokens have expired', async () => {
    await database.db.delete(signingKeysTable);
    const time = clock();
    const { keys, issuer, verifier } = setup({ now: time.now });
    await keys.init();
    const oldKid = (await keys.current()).kid;
    const { token: oldToken } = await issuer.issue({ userId: 'u', role: 'USER', sessionId: 's' });

    await keys.rotate();
    const { token: newToken } = await issuer.issue({ userId: 'u', role: 'USER', sessionId: 's' });
    expect(decodeProtectedHeader(newToken).kid).not.toBe(oldKid);
    expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, decodeProtectedHeader(newToken).kid]));
    await expect(verifier.verify(oldToken)).resolves.toMatchObject({ userId: 'u' });

    // The retired key never signs again: its private half is gone from the database.
    const [oldRow] = (await database.db.select().from(signingKeysTable)).filter((row) => row.id === oldKid);
    expect(oldRow?.privateKey).toBeNull();

    // Past the old tokens' lifetime (and the grace for clock skew) it leaves the JWKS.
    time.advance(TTL + 61);
    expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual([decodeProtectedHeader(newToken).kid]);
  });

  it('another replica picks up a rotation when it meets a token with the new kid', async () => {
    await database.db.delete(signingKeysTable);
    const a = setup();
    const b = setup();
    await a.keys.init();
    await b.keys.init();
    await a.keys.rotate();
    const { token } = await a.issuer.issue({ userId: 'u', role: 'USER', sessionId: 's' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(b.verifier.verify(token)).resolves.toMatchObject({ userId: 'u' });
  });
});

describe('a signing key given by env', () => {
  it('is used as is (PEM with literal \\n accepted), published, and not rotatable through the API', async () => {
    await database.db.delete(signingKeysTable);
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
    const pem = (await exportPKCS8(privateKey)).replace(/\n/g, '\\n');
    const { keys, issuer, verifier } = setup({ envPrivateKeyPem: pem });
    await keys.init();
    const { token } = await issuer.issue({ userId: 'u', role: 'USER', sessionId: 's' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ userId: 'u' });
    const [row] = await database.db.select().from(signingKeysTable);
    expect(row?.privateKey).toBeNull();
    expect((await keys.jwks()).keys.map((k) => k.kid)).toEqual([decodeProtectedHeader(token).kid]);
    const error = await keys.rotate().catch((e: unknown) => e);
    expect(errorCode(error)).toBe('CONFLICT');
  });

  it('fails fast with a clear message when the PEM is not an Ed25519 key', async () => {
    const { keys } = setup({ envPrivateKeyPem: 'not a key' });
    await expect(keys.init()).rejects.toThrow('IDENTITY_SIGNING_KEY must be an Ed25519 private key in PKCS8 PEM form');
  });
});

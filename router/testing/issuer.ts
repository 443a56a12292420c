import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createAccessTokenVerifier, createInProcessRevocations, type AccessTokenVerifier, type SessionRevocations } from '@voiceassist/auth';

// Signs access tokens for router tests and benchmarks, and verifies them as identity's JWKS
// would. Its own module, so a benchmark's router process loads no test subgraph code.
export class TestIssuer {
  readonly issuer = 'test-issuer';
  readonly audience = 'test-audience';
  readonly revocations: SessionRevocations = createInProcessRevocations(randomUUID());
  verifier!: AccessTokenVerifier;
  private privateKey!: CryptoKey;

  /** A new key pair, or the key another process exported (benchmarks run parts in separate processes). */
  static async create(privateJwk?: JWK): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    let publicJwk: JWK;
    if (privateJwk) {
      issuer.privateKey = (await importJWK(privateJwk, 'EdDSA')) as CryptoKey;
      const { d: _secret, ...publicPart } = privateJwk;
      publicJwk = publicPart;
    } else {
      const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      issuer.privateKey = pair.privateKey;
      publicJwk = await exportJWK(pair.publicKey);
    }
    const keySet = createLocalJWKSet({ keys: [{ ...publicJwk, kid: 'k1', alg: 'EdDSA' }] });
    issuer.verifier = createAccessTokenVerifier({ keys: { resolver: keySet }, issuer: issuer.issuer, audience: issuer.audience, revocations: issuer.revocations });
    return issuer;
  }

  exportPrivateJwk(): Promise<JWK> {
    return exportJWK(this.privateKey);
  }

  token(claims: { sub?: string; sid?: string; role?: string; expiresIn?: string | number } = {}): Promise<string> {
    return new SignJWT({ role: claims.role ?? 'USER', sid: claims.sid ?? randomUUID() })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
      .setSubject(claims.sub ?? 'user-1')
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(claims.expiresIn ?? '15m')
      .sign(this.privateKey);
  }
}

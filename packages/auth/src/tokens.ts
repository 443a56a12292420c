import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { unauthenticated } from '@voiceassist/errors';
import { isRole, type Viewer } from './roles.js';
import type { SessionRevocations } from './revocations.js';

export const ACCESS_TOKEN_ALGORITHMS = ['EdDSA', 'ES256'];

export interface AccessTokenVerifier {
  /** Resolves the viewer or throws UNAUTHENTICATED; never returns an unverified caller. */
  verify(token: string): Promise<Viewer>;
}

export interface VerifierOptions {
  /** Where the signing keys come from: identity's JWKS URL, or a key resolver (identity itself). */
  keys: { jwksUrl: string } | { resolver: JWTVerifyGetKey };
  issuer: string;
  audience: string;
  revocations: SessionRevocations;
}

export function createAccessTokenVerifier(options: VerifierOptions): AccessTokenVerifier {
  const keys =
    'resolver' in options.keys
      ? options.keys.resolver
      : // A token signed with a new key triggers a refetch (after a short cool-down), so rotation needs no restart.
        createRemoteJWKSet(new URL(options.keys.jwksUrl), { cooldownDuration: 1_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 3_000 });
  return {
    async verify(token) {
      let payload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ACCESS_TOKEN_ALGORITHMS,
          requiredClaims: ['sub', 'sid', 'exp', 'iat'],
        }));
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw unauthenticated('Access token has expired');
        if (error instanceof joseErrors.JOSEError) throw unauthenticated('Invalid access token');
        // JWKS unreachable: still refuse, but say why.
        throw unauthenticated('Access token could not be verified');
      }
      const { sub, sid, role, exp } = payload as { sub?: unknown; sid?: unknown; role?: unknown; exp?: number };
      if (typeof sub !== 'string' || typeof sid !== 'string' || !isRole(role) || typeof exp !== 'number') {
        throw unauthenticated('Invalid access token');
      }
      if (await options.revocations.isRevoked(sid)) throw unauthenticated('Session has been revoked');
      return { userId: sub, sessionId: sid, role, expiresAt: new Date(exp * 1000) };
    },
  };
}

/** Reads `Bearer <token>`; no header means an anonymous caller, a malformed one is refused. */
export async function viewerFromAuthorization(header: string | undefined | null, verifier: AccessTokenVerifier): Promise<Viewer | null> {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthenticated('Authorization must be "Bearer <accessToken>"');
  return verifier.verify(match[1]!);
}

import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { unauthenticated } from '@voiceassist/errors';
import { isRole, type Viewer } from './roles.js';
import type { SessionRevocations } from './revocations.js';

export const ACCESS_TOKEN_ALGORITHMS = ['EdDSA', 'ES256'];

/** ACCESS_TOKEN_MAX_LIFETIME_SECONDS's default: no token lives longer, whoever signed it. */
export const DEFAULT_ACCESS_TOKEN_MAX_LIFETIME_SECONDS = 3600;
/** Clock skew tolerated between identity and a verifier when a token says when it was issued. */
const ISSUED_AT_SKEW_SECONDS = 60;
/** How long a request made while the revocation set is still loading waits for it. */
const FIRST_SYNC_WAIT_MS = 3_000;

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
  /**
   * Tokens whose `exp - iat` is longer are refused, whatever the signature says: revocations are
   * kept only this long, so a longer-lived token would outlive its revocation.
   */
  maxLifetimeSeconds?: number;
}

export function createAccessTokenVerifier(options: VerifierOptions): AccessTokenVerifier {
  const maxLifetimeSeconds = options.maxLifetimeSeconds ?? DEFAULT_ACCESS_TOKEN_MAX_LIFETIME_SECONDS;
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
      const { sub, sid, role, exp, iat } = payload as { sub?: unknown; sid?: unknown; role?: unknown; exp?: number; iat?: number };
      if (typeof sub !== 'string' || typeof sid !== 'string' || !isRole(role) || typeof exp !== 'number' || typeof iat !== 'number') {
        throw unauthenticated('Invalid access token');
      }
      if (exp - iat > maxLifetimeSeconds || iat > Date.now() / 1000 + ISSUED_AT_SKEW_SECONDS) {
        throw unauthenticated('Access token lifetime exceeds the maximum');
      }
      // Until the set of revoked sessions is loaded nobody can tell a revoked token from a live
      // one: refuse (briefly waiting for it) rather than let a revoked session back in.
      if (!options.revocations.status().synced && !(await options.revocations.whenSynced(FIRST_SYNC_WAIT_MS))) {
        throw unauthenticated('Sessions cannot be checked yet; try again shortly');
      }
      if (options.revocations.isRevoked(sid)) throw unauthenticated('Session has been revoked');
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

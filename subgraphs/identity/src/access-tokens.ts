import { SignJWT } from 'jose';
import type { Role } from '@voiceassist/auth';
import { SIGNING_ALGORITHM, type SigningKeys } from './signing-keys.js';

export interface AccessTokenIssuer {
  issue(subject: { userId: string; role: Role; sessionId: string }): Promise<{ token: string; expiresAt: Date }>;
}

export function createAccessTokenIssuer(options: {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  ttlSeconds: number;
  now?: () => number;
}): AccessTokenIssuer {
  const now = options.now ?? Date.now;
  return {
    async issue({ userId, role, sessionId }) {
      const { kid, privateKey } = await options.keys.current();
      const issuedAt = Math.floor(now() / 1000);
      const expiresAt = issuedAt + options.ttlSeconds;
      const token = await new SignJWT({ role, sid: sessionId })
        .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid, typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(privateKey);
      return { token, expiresAt: new Date(expiresAt * 1000) };
    },
  };
}

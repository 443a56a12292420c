import { createHash, randomBytes } from 'node:crypto';
import { and, eq, inArray, isNull, ne, type SQL } from 'drizzle-orm';
import type { SessionRevocations } from '@voiceassist/auth';
import { refreshTokens, sessions } from './db/schema.js';
import type { Transaction } from './db/transaction.js';
import type { RevokedSessions } from './revoked-sessions.js';

export const hashRefreshToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface IssuedRefreshToken {
  sessionId: string;
  refreshToken: string;
  expiresAt: Date;
}

export type RotateOutcome =
  | ({ kind: 'rotated'; userId: string } & IssuedRefreshToken)
  /** The token was exchanged before: someone holds a copy. */
  | { kind: 'reused'; userId: string; sessionId: string }
  | { kind: 'invalid'; reason: 'unknown' | 'expired' | 'revoked' };

export interface RefreshSessions {
  /** Starts a session (one refresh-token family) and returns its first token. */
  open(tx: Transaction, origin: { userId: string; ip?: string | undefined; userAgent?: string | undefined }): Promise<IssuedRefreshToken>;
  /** Exchanges a token for the next one in its family; each token works once. */
  rotate(tx: Transaction, refreshToken: string): Promise<RotateOutcome>;
  /** The live session a token belongs to, if any. */
  sessionOf(tx: Transaction, refreshToken: string): Promise<{ sessionId: string; userId: string } | undefined>;
  /**
   * Revokes sessions in the database, recording them in the durable revocation list in the same
   * transaction, and returns the ids that were live; publish them after commit.
   */
  revoke(tx: Transaction, which: { sessionIds: string[] } | { userId: string; exceptSessionId?: string }, reason: string): Promise<string[]>;
  /** Tells every verifier, so access tokens of these sessions are refused from now on. */
  publishRevoked(sessionIds: string[]): Promise<void>;
}

export function createRefreshSessions(options: {
  revocations: SessionRevocations;
  revokedSessions: RevokedSessions;
  refreshTtlSeconds: number;
  /** How long a revocation is kept: the maximum access-token lifetime. */
  revocationKeepSeconds: number;
  now?: () => number;
}): RefreshSessions {
  const now = options.now ?? Date.now;

  async function issue(tx: Transaction, sessionId: string): Promise<IssuedRefreshToken> {
    const refreshToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now() + options.refreshTtlSeconds * 1000);
    await tx.insert(refreshTokens).values({ sessionId, tokenHash: hashRefreshToken(refreshToken), expiresAt, createdAt: new Date(now()) });
    return { sessionId, refreshToken, expiresAt };
  }

  async function find(tx: Transaction, refreshToken: string) {
    const [row] = await tx
      .select({
        id: refreshTokens.id,
        sessionId: refreshTokens.sessionId,
        expiresAt: refreshTokens.expiresAt,
        rotatedAt: refreshTokens.rotatedAt,
        userId: sessions.userId,
        revokedAt: sessions.revokedAt,
      })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, hashRefreshToken(refreshToken)))
      .limit(1);
    return row;
  }

  return {
    async open(tx, { userId, ip, userAgent }) {
      const at = new Date(now());
      const [session] = await tx
        .insert(sessions)
        .values({ userId, ip: ip ?? null, userAgent: userAgent?.slice(0, 512) ?? null, createdAt: at, lastUsedAt: at })
        .returning({ id: sessions.id });
      return issue(tx, session!.id);
    },

    async rotate(tx, refreshToken) {
      const row = await find(tx, refreshToken);
      if (!row) return { kind: 'invalid', reason: 'unknown' };
      if (row.revokedAt) return { kind: 'invalid', reason: 'revoked' };
      if (row.rotatedAt) return { kind: 'reused', userId: row.userId, sessionId: row.sessionId };
      if (row.expiresAt.getTime() <= now()) return { kind: 'invalid', reason: 'expired' };
      // Only one of two concurrent exchanges of the same token wins; the other is reuse.
      const claimed = await tx
        .update(refreshTokens)
        .set({ rotatedAt: new Date(now()) })
        .where(and(eq(refreshTokens.id, row.id), isNull(refreshTokens.rotatedAt)))
        .returning({ id: refreshTokens.id });
      if (claimed.length === 0) return { kind: 'reused', userId: row.userId, sessionId: row.sessionId };
      await tx.update(sessions).set({ lastUsedAt: new Date(now()) }).where(eq(sessions.id, row.sessionId));
      return { kind: 'rotated', userId: row.userId, ...(await issue(tx, row.sessionId)) };
    },

    async sessionOf(tx, refreshToken) {
      const row = await find(tx, refreshToken);
      return row && !row.revokedAt ? { sessionId: row.sessionId, userId: row.userId } : undefined;
    },

    async revoke(tx, which, reason) {
      let scope: SQL | undefined;
      if ('sessionIds' in which) {
        if (which.sessionIds.length === 0) return [];
        scope = inArray(sessions.id, which.sessionIds);
      } else {
        scope = and(eq(sessions.userId, which.userId), which.exceptSessionId ? ne(sessions.id, which.exceptSessionId) : undefined);
      }
      const revokedAt = new Date(now());
      const revoked = await tx
        .update(sessions)
        .set({ revokedAt, revokedReason: reason })
        .where(and(scope, isNull(sessions.revokedAt)))
        .returning({ id: sessions.id });
      const ids = revoked.map((r) => r.id);
      await options.revokedSessions.record(tx, ids, revokedAt);
      return ids;
    },

    async publishRevoked(sessionIds) {
      await Promise.all(sessionIds.map((id) => options.revocations.revoke(id, options.revocationKeepSeconds)));
    },
  };
}

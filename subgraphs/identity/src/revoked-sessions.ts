import { and, gt, gte, lte } from 'drizzle-orm';
import type { RevocationSnapshot } from '@voiceassist/auth';
import type { Database } from '@voiceassist/database';
import { revokedSessions } from './db/schema.js';
import type { Transaction } from './db/transaction.js';
import { sinceRoute } from './since-route.js';

/** Expired rows are deleted at most this often per identity instance, on a read. */
const PRUNE_EVERY_MS = 60_000;

/**
 * The durable list of revoked sessions: the source of truth every verifier's in-memory set is
 * synced from, so a Redis that lost its data (or is down) brings no revoked session back.
 */
export interface RevokedSessions {
  /** Records sessions revoked in this transaction, kept for as long as their access tokens can live. */
  record(tx: Transaction, sessionIds: string[], revokedAt: Date): Promise<void>;
  /** The revocations still kept, only those revoked at or after `since` (ms) when given. */
  snapshot(since?: number): Promise<RevocationSnapshot>;
}

export function createRevokedSessions(options: { db: Database; keepSeconds: number; now?: () => number }): RevokedSessions {
  const { db } = options;
  const now = options.now ?? Date.now;
  let lastPrune = 0;

  return {
    async record(tx, sessionIds, revokedAt) {
      if (sessionIds.length === 0) return;
      const keepUntil = new Date(revokedAt.getTime() + options.keepSeconds * 1000);
      await tx
        .insert(revokedSessions)
        .values(sessionIds.map((sessionId) => ({ sessionId, revokedAt, keepUntil })))
        .onConflictDoNothing();
    },

    async snapshot(since) {
      const asOf = now();
      if (asOf - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = asOf;
        await db.delete(revokedSessions).where(lte(revokedSessions.keepUntil, new Date(asOf)));
      }
      const rows = await db
        .select({ sessionId: revokedSessions.sessionId, keepUntil: revokedSessions.keepUntil })
        .from(revokedSessions)
        .where(and(gt(revokedSessions.keepUntil, new Date(asOf)), since === undefined ? undefined : gte(revokedSessions.revokedAt, new Date(since))));
      return { asOf, revocations: rows.map((row) => ({ sessionId: row.sessionId, keepUntil: row.keepUntil.getTime() })) };
    },
  };
}

/**
 * GET /revocations[?since=<ms>]: what router and subgraphs sync from. Open like the JWKS: it
 * lists only ids of dead sessions (random UUIDs that unlock nothing, revealing at most how many
 * sessions ended when), identity's port is internal (clients reach the router), and a secret
 * every verifier must hold would be one more thing that stops them learning revocations.
 */
export function revocationsRoute(store: RevokedSessions) {
  return sinceRoute((since) => store.snapshot(since));
}

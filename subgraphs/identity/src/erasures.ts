import { asc, eq, gte, inArray, isNull, or } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import {
  ERASURE_CONFIRMED_TOPIC,
  isErasureConfirmation,
  USER_ERASED_TOPIC,
  type ErasureConfirmation,
  type ErasureFeed,
  type UserErasedEvent,
} from '@voiceassist/erasure';
import type { Logger } from '@voiceassist/logging';
import type { PubSub } from '@voiceassist/pubsub';
import type { AuditLog } from './audit-log.js';
import { userErasureConfirmations, userErasures, type UserErasureRow } from './db/schema.js';
import type { Transaction } from './db/transaction.js';
import { sinceRoute } from './since-route.js';

/**
 * Identity's side of erasure (issue 25): the outbox written with the deletion, the feed the
 * subgraphs erase from (GET /erasures), and the confirmations that complete an erasure.
 */
export interface Erasures {
  /** In the deletion's transaction: the outbox row, and the person's audit key destroyed. */
  record(tx: Transaction, userId: string, requestedBy: string | null, requestedAt: Date): Promise<void>;
  /** After commit; best effort: a subgraph that misses it reads the feed. */
  announce(userId: string, requestedAt: Date): Promise<void>;
  feed(since?: number): Promise<ErasureFeed>;
  /** Records a subgraph's confirmation (idempotent); the last expected one completes the erasure. */
  confirm(confirmation: ErasureConfirmation): Promise<void>;
  status(userId: string): Promise<{ erasure: UserErasureRow; confirmations: Map<string, Date> } | null>;
  /** Listens for confirmations on pub/sub until close(). */
  listen(): void;
  close(): Promise<void>;
}

export interface ErasuresOptions {
  db: Database;
  audit: AuditLog;
  pubsub: PubSub;
  logger: Logger;
  /** ERASURE_SUBGRAPHS: every one must confirm before the erasure is complete. */
  subgraphs: string[];
  now?: () => number;
}

export function createErasures({ db, audit, pubsub, logger, subgraphs, now = Date.now }: ErasuresOptions): Erasures {
  let confirmations: AsyncIterableIterator<unknown> | undefined;
  let listening: Promise<void> | undefined;

  const confirmationsOf = async (userIds: string[]) => {
    const byUser = new Map<string, Map<string, Date>>();
    if (userIds.length === 0) return byUser;
    const rows = await db.select().from(userErasureConfirmations).where(inArray(userErasureConfirmations.userId, userIds));
    for (const row of rows) {
      let forUser = byUser.get(row.userId);
      if (!forUser) byUser.set(row.userId, (forUser = new Map()));
      forUser.set(row.subgraph, row.erasedAt);
    }
    return byUser;
  };

  const erasures: Erasures = {
    async record(tx, userId, requestedBy, requestedAt) {
      await tx.insert(userErasures).values({ userId, requestedBy, requestedAt }).onConflictDoNothing();
      await audit.shred(tx, userId);
    },

    async announce(userId, requestedAt) {
      const event: UserErasedEvent = { userId, requestedAt: requestedAt.getTime() };
      try {
        await pubsub.publish(USER_ERASED_TOPIC, event);
      } catch (error) {
        logger.warn({ userId, err: error }, 'erasure not announced; subgraphs will read it from the feed');
      }
    },

    async feed(since) {
      const asOf = now();
      // Pending erasures are always listed, whenever requested: they are what a subgraph must act on.
      const rows = await db
        .select()
        .from(userErasures)
        .where(since === undefined ? undefined : or(gte(userErasures.requestedAt, new Date(since)), isNull(userErasures.completedAt)))
        .orderBy(asc(userErasures.requestedAt));
      const confirmed = await confirmationsOf(rows.map((row) => row.userId));
      return {
        asOf,
        erasures: rows.map((row) => ({ userId: row.userId, requestedAt: row.requestedAt.getTime(), confirmedBy: [...(confirmed.get(row.userId)?.keys() ?? [])].sort() })),
      };
    },

    async confirm({ userId, subgraph, erasedAt }) {
      const completed = await db.transaction(async (tx) => {
        // The lock orders concurrent confirmations (and identity replicas): one completes it.
        const [erasure] = await tx.select().from(userErasures).where(eq(userErasures.userId, userId)).limit(1).for('update');
        if (!erasure) return false;
        await tx.insert(userErasureConfirmations).values({ userId, subgraph, erasedAt: new Date(erasedAt) }).onConflictDoNothing();
        if (erasure.completedAt) return false;
        const done = new Set((await tx.select({ subgraph: userErasureConfirmations.subgraph }).from(userErasureConfirmations).where(eq(userErasureConfirmations.userId, userId))).map((r) => r.subgraph));
        if (!subgraphs.every((name) => done.has(name))) return false;
        await tx.update(userErasures).set({ completedAt: new Date(now()) }).where(eq(userErasures.userId, userId));
        await audit.append(tx, { actorId: null }, { action: 'user_erasure_complete', targetType: 'user', targetId: userId, metadata: { subgraphs: [...subgraphs].sort() } });
        return true;
      });
      if (completed) logger.info({ userId }, 'erasure complete in every subgraph');
    },

    async status(userId) {
      const [erasure] = await db.select().from(userErasures).where(eq(userErasures.userId, userId)).limit(1);
      if (!erasure) return null;
      return { erasure, confirmations: (await confirmationsOf([userId])).get(userId) ?? new Map() };
    },

    listen() {
      if (confirmations) return;
      const iterator = pubsub.subscribe<unknown>(ERASURE_CONFIRMED_TOPIC);
      confirmations = iterator;
      listening = (async () => {
        for await (const message of iterator) {
          if (!isErasureConfirmation(message)) continue;
          try {
            await erasures.confirm(message);
          } catch (error) {
            // The subgraph confirms again on its next pass over the feed.
            logger.warn({ userId: message.userId, subgraph: message.subgraph, err: error }, 'erasure confirmation not recorded');
          }
        }
      })();
    },

    async close() {
      await confirmations?.return?.();
      await listening;
    },
  };
  return erasures;
}

/**
 * GET /erasures[?since=<ms>]: what the subgraphs erase from. Open like /revocations and the JWKS:
 * it lists only ids of deleted users and which subgraphs confirmed, and identity's port is
 * internal (clients reach the router).
 */
export function erasuresRoute(erasures: Erasures) {
  return sinceRoute((since) => erasures.feed(since));
}

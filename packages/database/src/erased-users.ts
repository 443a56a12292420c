import { eq } from 'drizzle-orm';
import { timestamp, uuid, type PgSchema } from 'drizzle-orm/pg-core';
import { isUuid, type Database } from './index.js';

/**
 * People identity deleted whose data a subgraph has erased: one row each, in the subgraph's own
 * schema. The only trace of them a subgraph keeps, so it neither erases twice nor reports them pending.
 */
export function erasedUsersTable(schema: PgSchema) {
  return schema.table('erased_users', {
    userId: uuid('user_id').primaryKey(),
    erasedAt: timestamp('erased_at', { withTimezone: true, mode: 'date' }).notNull(),
  });
}

export type ErasedUsersTable = ReturnType<typeof erasedUsersTable>;

/** Where a subgraph stands with one person's erasure (the federated `ErasureProgress`). */
export interface ErasureProgress {
  state: 'PENDING' | 'DONE';
  at: Date | null;
}

/** Reads and writes a subgraph's `erased_users` table, as `startErasureConsumer` and `ErasureStatus` need. */
export function erasureLedger(db: Database, table: ErasedUsersTable) {
  const erasedAt = async (userId: string): Promise<Date | null> => {
    if (!isUuid(userId)) return null;
    const [row] = await db.select({ erasedAt: table.erasedAt }).from(table).where(eq(table.userId, userId));
    return row?.erasedAt ?? null;
  };
  return {
    isErased: async (userId: string): Promise<boolean> => (await erasedAt(userId)) !== null,
    /** Idempotent: the first erasure's time stays. */
    async markErased(userId: string, at: Date): Promise<void> {
      await db.insert(table).values({ userId, erasedAt: at }).onConflictDoNothing();
    },
    async progress(userId: string): Promise<ErasureProgress> {
      const at = await erasedAt(userId);
      return at ? { state: 'DONE', at } : { state: 'PENDING', at: null };
    },
  };
}

export type ErasureLedger = ReturnType<typeof erasureLedger>;

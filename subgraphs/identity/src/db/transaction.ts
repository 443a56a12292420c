import { sql } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';

export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/**
 * Serialises a critical section across transactions and replicas until the transaction ends.
 * An advisory lock works alike on PostgreSQL and PGlite, and needs no lock table.
 */
export async function lockFor(tx: Transaction, name: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`identity:${name}`}))`);
}

import { and, asc, eq, lte, ne, sql, type SQL } from 'drizzle-orm';
import type { FlagDefinition } from '@voiceassist/flags-client/evaluate';
import { GraphQLError } from 'graphql';
import type { Database } from '@voiceassist/database';
import { badUserInput, conflict, notFound } from '@voiceassist/errors';
import { flags, scheduledChanges, type ScheduledChangeRow } from './db/schema.js';
import type { FlagChangeRecord, FlagStore } from './store.js';
import { applyPatch, type FlagPatch } from './validation.js';

export type ScheduleStatus = ScheduledChangeRow['status'];

/** Postgres and PGlite both report a unique violation as SQLSTATE 23505; drizzle may wrap it. */
function isUniqueViolation(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === '23505') return true;
  }
  return false;
}

const setsNothingInternal = sql`(${scheduledChanges.changes} ->> 'visibility') is distinct from 'INTERNAL'`;
/** The schedule's flag exists and is not INTERNAL, and the change does not make it INTERNAL. */
const touchesOnlyClientVisibleFlags = and(
  sql`exists (select 1 from ${flags} where ${flags.key} = ${scheduledChanges.flagKey} and ${flags.visibility} <> 'INTERNAL')`,
  setsNothingInternal,
)!;

/**
 * Scheduled flag changes. Applying locks due rows with FOR UPDATE SKIP LOCKED in the same
 * transaction that writes the flag and marks the row APPLIED, so with any number of replicas
 * each change is applied exactly once.
 */
export function createSchedules(db: Database, store: FlagStore) {
  return {
    async schedule(key: string, at: Date, patch: FlagPatch, actorId: string | null, authorize?: (flag: FlagDefinition) => void): Promise<ScheduledChangeRow> {
      if (at.getTime() <= Date.now()) throw badUserInput('at must be in the future', 'at');
      const flag = await store.get(key);
      if (!flag) throw notFound('Flag');
      authorize?.(flag);
      // Checked now for early feedback, and again when applied against the flag as it is then.
      applyPatch(flag, patch);
      try {
        const [row] = await db
          .insert(scheduledChanges)
          .values({ flagKey: key, at, changes: patch, createdBy: actorId, createdAt: new Date() })
          .returning();
        return row!;
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(`Flag "${key}" already has a change scheduled at ${at.toISOString()}`, { field: 'at' });
        throw error;
      }
    },

    /**
     * Without `includeInternal`, a schedule that touches an INTERNAL flag (or one no longer there,
     * whose visibility nobody can tell) is NOT_FOUND, like an unknown id: its existence is not
     * revealed, and neither is its input.
     */
    async cancel(id: string, actorId: string | null, options: { includeInternal: boolean }): Promise<ScheduledChangeRow> {
      const conditions: SQL[] = [eq(scheduledChanges.id, id), eq(scheduledChanges.status, 'PENDING')];
      if (!options.includeInternal) conditions.push(touchesOnlyClientVisibleFlags);
      const [row] = await db
        .update(scheduledChanges)
        .set({ status: 'CANCELLED', cancelledAt: new Date(), cancelledBy: actorId })
        .where(and(...conditions))
        .returning();
      if (row) return row;
      const visible = options.includeInternal ? [] : [touchesOnlyClientVisibleFlags];
      const [existing] = await db.select().from(scheduledChanges).where(and(eq(scheduledChanges.id, id), ...visible));
      if (!existing) throw notFound('Scheduled flag change');
      throw conflict(`The scheduled change is already ${existing.status.toLowerCase()}`, { status: existing.status });
    },

    async get(id: string): Promise<ScheduledChangeRow | undefined> {
      const [row] = await db.select().from(scheduledChanges).where(eq(scheduledChanges.id, id));
      return row;
    },

    /** Schedules of existing, client-visible flags that set nothing INTERNAL, soonest first. */
    async list(options: { key?: string | undefined; status?: ScheduleStatus | undefined; limit: number }): Promise<ScheduledChangeRow[]> {
      const conditions: SQL[] = [ne(flags.visibility, 'INTERNAL'), setsNothingInternal];
      if (options.key) conditions.push(eq(scheduledChanges.flagKey, options.key));
      if (options.status) conditions.push(eq(scheduledChanges.status, options.status));
      const rows = await db
        .select({ change: scheduledChanges })
        .from(scheduledChanges)
        .innerJoin(flags, eq(flags.key, scheduledChanges.flagKey))
        .where(and(...conditions))
        .orderBy(asc(scheduledChanges.at), asc(scheduledChanges.id))
        .limit(options.limit);
      return rows.map((r) => r.change);
    },

    /** Cheap check before opening a locking transaction. */
    async hasDue(): Promise<boolean> {
      const [row] = await db
        .select({ id: scheduledChanges.id })
        .from(scheduledChanges)
        .where(and(eq(scheduledChanges.status, 'PENDING'), lte(scheduledChanges.at, sql`now()`)))
        .limit(1);
      return row !== undefined;
    },

    /**
     * Applies up to `limit` due changes in one transaction; rows another replica holds are
     * skipped (it is applying them). A change that no longer fits the flag is marked FAILED
     * with the reason. Returns the applied changes, to announce after commit.
     */
    async applyDue(limit = 20): Promise<FlagChangeRecord[]> {
      return db.transaction(async (tx) => {
        const due = await tx
          .select()
          .from(scheduledChanges)
          .where(and(eq(scheduledChanges.status, 'PENDING'), lte(scheduledChanges.at, sql`now()`)))
          .orderBy(asc(scheduledChanges.at), asc(scheduledChanges.id))
          .limit(limit)
          .for('update', { skipLocked: true });
        const applied: FlagChangeRecord[] = [];
        for (const row of due) {
          try {
            // updateIn validates before it writes anything, so a refusal leaves the transaction clean.
            const change = await store.updateIn(tx, row.flagKey, row.changes as FlagPatch, { actorId: row.createdBy, scheduledChangeId: row.id }, 'changes');
            await tx.update(scheduledChanges).set({ status: 'APPLIED', appliedAt: new Date(change.occurredAt), appliedVersion: change.version }).where(eq(scheduledChanges.id, row.id));
            applied.push(change);
          } catch (error) {
            if (!(error instanceof GraphQLError)) throw error;
            await tx.update(scheduledChanges).set({ status: 'FAILED', failureReason: error.message }).where(eq(scheduledChanges.id, row.id));
          }
        }
        return applied;
      });
    },
  };
}

export type Schedules = ReturnType<typeof createSchedules>;

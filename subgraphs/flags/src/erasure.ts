import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import type { TargetingRule } from '@voiceassist/flags-client/evaluate';
import { erasedUsers, flagEvents, flags, scheduledChanges } from './db/schema.js';
import { toDefinition, type FlagChangeRecord, type FlagStore } from './store.js';
import { isClientVisible } from './visibility.js';

/** What stands in a flag's history (and in schedules no longer pending) where an erased person's id stood. */
export const ERASED_PLACEHOLDER = '[erased]';

/** The rules without the person: their id leaves every rule's values; a rule left with none goes (it would match nobody). */
export function rulesWithout(rules: readonly TargetingRule[], userId: string): TargetingRule[] {
  return rules.flatMap((rule) => {
    const values = rule.values.filter((value) => value !== userId);
    if (values.length === rule.values.length) return [rule];
    return values.length ? [{ ...rule, values }] : [];
  });
}

/** JSON with the id replaced by the placeholder: a uuid contains nothing JSON escapes. */
const scrubbed = <T>(value: T, userId: string): T => JSON.parse(JSON.stringify(value).replaceAll(userId, ERASED_PLACEHOLDER)) as T;

const mentions = (column: unknown, userId: string) => sql`strpos(${column}::text, ${userId}) > 0`;

/**
 * What deleting a person means here. Their id leaves every flag's targeting rules, each as a
 * recorded change (no actor, reason `erasure`), and every pending scheduled change, which is
 * cancelled (reason `erasure`) and scheduled again without them. History (flag events, schedules
 * no longer pending) keeps what happened with `[erased]` in the id's place; where the person was
 * the actor, the actor becomes null. One transaction, under the version lock like every write.
 */
export function createFlagsErasure(deps: { db: Database; store: FlagStore; announce: (change: FlagChangeRecord) => void }) {
  const { db, store, announce } = deps;
  return {
    /** Idempotent: a second run finds nothing that names them. */
    async erase(userId: string): Promise<void> {
      const changes = await db.transaction(async (tx) => {
        await store.lockVersion(tx);
        await tx.insert(erasedUsers).values({ userId, erasedAt: new Date() }).onConflictDoNothing();
        const recorded: FlagChangeRecord[] = [];
        const targeting = await tx.select().from(flags).where(mentions(flags.rules, userId)).orderBy(asc(flags.key));
        for (const row of targeting) {
          recorded.push(await store.updateIn(tx, row.key, { rules: rulesWithout(row.rules, userId) }, { actorId: null, reason: 'erasure' }));
        }
        const pending = await tx
          .select()
          .from(scheduledChanges)
          .where(and(eq(scheduledChanges.status, 'PENDING'), mentions(scheduledChanges.changes, userId)));
        const now = new Date();
        for (const row of pending) {
          await tx.update(scheduledChanges).set({ status: 'CANCELLED', cancelledAt: now, cancelledBy: null, failureReason: 'erasure' }).where(eq(scheduledChanges.id, row.id));
          const changes = { ...row.changes };
          if (Array.isArray(changes.rules)) changes.rules = rulesWithout(changes.rules as TargetingRule[], userId);
          await tx.insert(scheduledChanges).values({
            flagKey: row.flagKey,
            at: row.at,
            changes: scrubbed(changes, userId),
            createdBy: row.createdBy === userId ? null : row.createdBy,
            createdAt: now,
          });
        }
        // The past, the changes just recorded included.
        for (const column of [flagEvents.before, flagEvents.after]) {
          await tx.execute(sql`update ${flagEvents} set ${sql.identifier(column.name)} = replace(${column}::text, ${userId}, ${ERASED_PLACEHOLDER})::jsonb where ${mentions(column, userId)}`);
        }
        await tx.update(flagEvents).set({ actorId: null }).where(eq(flagEvents.actorId, userId));
        await tx.execute(
          sql`update ${scheduledChanges} set changes = replace(changes::text, ${userId}, ${ERASED_PLACEHOLDER})::jsonb where ${mentions(scheduledChanges.changes, userId)}`,
        );
        await tx.update(scheduledChanges).set({ createdBy: null }).where(eq(scheduledChanges.createdBy, userId));
        await tx.update(scheduledChanges).set({ cancelledBy: null }).where(eq(scheduledChanges.cancelledBy, userId));
        return recorded;
      });
      for (const change of changes) announce(scrubbed(change, userId));
    },

    /** The targeting rules and pending scheduled changes that name the person, on flags clients may see. */
    async exportData(userId: string) {
      const named = (await db.select().from(flags).where(mentions(flags.rules, userId)).orderBy(asc(flags.key))).map(toDefinition).filter((f) => isClientVisible(f.visibility));
      const pending = await db
        .select({ change: scheduledChanges, visibility: flags.visibility })
        .from(scheduledChanges)
        .innerJoin(flags, eq(flags.key, scheduledChanges.flagKey))
        .where(and(eq(scheduledChanges.status, 'PENDING'), mentions(scheduledChanges.changes, userId)))
        .orderBy(asc(scheduledChanges.at));
      return {
        targetingRules: named.flatMap((flag) =>
          flag.rules.flatMap((rule, index) => (rule.values.includes(userId) ? [{ flag: flag.key, ruleIndex: index, kind: rule.kind, enabled: rule.enabled, variant: rule.variant }] : [])),
        ),
        pendingScheduledChanges: pending
          .filter((p) => isClientVisible(p.visibility) && p.change.changes.visibility !== 'INTERNAL')
          .map(({ change }) => ({ id: change.id, flag: change.flagKey, at: change.at.toISOString(), input: change.changes })),
      };
    },
  };
}

export type FlagsErasure = ReturnType<typeof createFlagsErasure>;

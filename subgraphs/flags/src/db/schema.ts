import { erasedUsersTable } from '@voiceassist/database/erased-users';
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgSchema, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { FlagDefinition, FlagVariant, TargetingRule } from '@voiceassist/flags-client/evaluate';

export const flagsSchema = pgSchema('flags');

export const visibilityEnum = flagsSchema.enum('visibility', ['PUBLIC', 'AUTHENTICATED', 'ADMIN', 'INTERNAL']);
export const changeActionEnum = flagsSchema.enum('change_action', ['CREATED', 'UPDATED', 'DELETED']);
export const scheduleStatusEnum = flagsSchema.enum('schedule_status', ['PENDING', 'APPLIED', 'CANCELLED', 'FAILED']);

const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const flags = flagsSchema.table('flags', {
  key: text('key').primaryKey(),
  description: text('description').notNull().default(''),
  enabled: boolean('enabled').notNull().default(false),
  visibility: visibilityEnum('visibility').notNull(),
  variants: jsonb('variants').$type<FlagVariant[]>().notNull().default([]),
  rules: jsonb('rules').$type<TargetingRule[]>().notNull().default([]),
  rolloutPercentage: integer('rollout_percentage').notNull().default(100),
  /** The global version of the change that last wrote this flag. */
  version: integer('version').notNull(),
  createdAt: timestampColumn('created_at').notNull(),
  updatedAt: timestampColumn('updated_at').notNull(),
});

/**
 * One row (id 1): the global change version. Every write locks it first and bumps it in the
 * same transaction, so versions are gapless and commit in version order across replicas.
 */
export const versionCounter = flagsSchema.table('version_counter', {
  id: smallint('id').primaryKey(),
  version: integer('version').notNull().default(0),
  /** History holds every event after this version; reconnects from before it get a snapshot. */
  prunedThrough: integer('pruned_through').notNull().default(0),
});

/** Every change, with who made it and the flag before and after (null when absent). */
export const flagEvents = flagsSchema.table(
  'flag_events',
  {
    version: integer('version').primaryKey(),
    key: text('key').notNull(),
    action: changeActionEnum('action').notNull(),
    actorId: text('actor_id'),
    scheduledChangeId: uuid('scheduled_change_id'),
    /** Why the system made a change nobody asked for: `erasure` when a deleted person was taken out of the flag. */
    reason: text('reason'),
    before: jsonb('before').$type<FlagDefinition>(),
    after: jsonb('after').$type<FlagDefinition>(),
    occurredAt: timestampColumn('occurred_at').notNull(),
  },
  (t) => [index('flag_events_key_idx').on(t.key, t.version), index('flag_events_occurred_at_idx').on(t.occurredAt)],
);

/** An update to apply at a time; applied exactly once by whichever replica locks it first. */
export const scheduledChanges = flagsSchema.table(
  'scheduled_changes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    flagKey: text('flag_key').notNull(),
    at: timestampColumn('at').notNull(),
    /** The UpdateFlagInput to apply, validated when scheduled and again when applied. */
    changes: jsonb('changes').$type<Record<string, unknown>>().notNull(),
    status: scheduleStatusEnum('status').notNull().default('PENDING'),
    createdBy: text('created_by'),
    createdAt: timestampColumn('created_at').notNull(),
    appliedAt: timestampColumn('applied_at'),
    appliedVersion: integer('applied_version'),
    cancelledAt: timestampColumn('cancelled_at'),
    cancelledBy: text('cancelled_by'),
    failureReason: text('failure_reason'),
  },
  (t) => [
    // Two pending changes to one flag at one instant would race: the second is a CONFLICT.
    uniqueIndex('scheduled_changes_pending_key_at').on(t.flagKey, t.at).where(sql`${t.status} = 'PENDING'`),
    index('scheduled_changes_due_idx').on(t.at).where(sql`${t.status} = 'PENDING'`),
    index('scheduled_changes_key_idx').on(t.flagKey, t.at),
  ],
);

export type FlagRow = typeof flags.$inferSelect;
export type FlagEventRow = typeof flagEvents.$inferSelect;
export type ScheduledChangeRow = typeof scheduledChanges.$inferSelect;

/** People erased here after identity deleted them (see erasure.ts). */
export const erasedUsers = erasedUsersTable(flagsSchema);

import { and, asc, desc, eq, gt, lt, lte, max, sql } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { conflict, notFound } from '@voiceassist/errors';
import type { FlagDefinition } from '@voiceassist/flags-client/evaluate';
import { flagEvents, flags, scheduledChanges, versionCounter, type FlagEventRow, type FlagRow } from './db/schema.js';
import { applyPatch, type FlagFields, type FlagPatch } from './validation.js';

export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** One stored change: what a subscriber, the backend feed and flagHistory are built from. Plain JSON. */
export interface FlagChangeRecord {
  version: number;
  key: string;
  action: 'CREATED' | 'UPDATED' | 'DELETED';
  actorId: string | null;
  scheduledChangeId: string | null;
  /** Why the system made the change, when nobody asked for it (`erasure`). */
  reason: string | null;
  before: FlagDefinition | null;
  after: FlagDefinition | null;
  occurredAt: string;
}

export interface FlagSnapshot {
  version: number;
  flags: FlagDefinition[];
}

/** Where a reconnect resumes: the missed changes, or a snapshot when history no longer reaches back. */
export type Resumption = { type: 'snapshot'; snapshot: FlagSnapshot } | { type: 'replay'; version: number; changes: FlagChangeRecord[] };

/** Replaying more than this many events costs more than a snapshot; the client gets a snapshot instead. */
export const MAX_REPLAY = 1_000;

export function toDefinition(row: FlagRow): FlagDefinition {
  return {
    key: row.key,
    description: row.description,
    enabled: row.enabled,
    visibility: row.visibility,
    variants: row.variants,
    rules: row.rules,
    rolloutPercentage: row.rolloutPercentage,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function toChange(row: FlagEventRow): FlagChangeRecord {
  return {
    version: row.version,
    key: row.key,
    action: row.action,
    actorId: row.actorId,
    scheduledChangeId: row.scheduledChangeId,
    reason: row.reason,
    before: row.before,
    after: row.after,
    occurredAt: row.occurredAt.toISOString(),
  };
}

const columnsOf = (flag: FlagDefinition) => ({
  description: flag.description,
  enabled: flag.enabled,
  visibility: flag.visibility,
  variants: flag.variants,
  rules: flag.rules,
  rolloutPercentage: flag.rolloutPercentage,
  version: flag.version,
  updatedAt: new Date(flag.updatedAt),
});

export interface UpdateOptions {
  actorId: string | null;
  expectedVersion?: number | undefined;
  scheduledChangeId?: string | undefined;
  reason?: string | undefined;
  /** Throws to refuse the write, given the flag as it is inside the write's transaction. */
  authorize?: ((before: FlagDefinition) => void) | undefined;
}

/**
 * Flags, the global version and the change history. Every write takes the version row's lock
 * first, so writes serialise across replicas, versions have no gaps, and version order is
 * commit order: a reader that sees version N committed can read every version before it.
 */
export function createFlagStore(db: Database) {
  /** Locks the version row until the transaction ends and returns the current version. */
  async function lockVersion(tx: Transaction): Promise<number> {
    const [row] = await tx.select({ version: versionCounter.version }).from(versionCounter).where(eq(versionCounter.id, 1)).for('update');
    if (!row) throw new Error('flags.version_counter has no row; migrations did not run');
    return row.version;
  }

  async function record(tx: Transaction, change: FlagChangeRecord): Promise<FlagChangeRecord> {
    await tx.update(versionCounter).set({ version: change.version }).where(eq(versionCounter.id, 1));
    await tx.insert(flagEvents).values({
      version: change.version,
      key: change.key,
      action: change.action,
      actorId: change.actorId,
      scheduledChangeId: change.scheduledChangeId,
      reason: change.reason,
      before: change.before,
      after: change.after,
      occurredAt: new Date(change.occurredAt),
    });
    return change;
  }

  async function currentRow(tx: Transaction | Database, key: string): Promise<FlagRow | undefined> {
    const [row] = await tx.select().from(flags).where(eq(flags.key, key));
    return row;
  }

  /** Applies a validated patch inside the caller's transaction (updateFlag and the scheduler share it). */
  async function updateIn(tx: Transaction, key: string, patch: FlagPatch, options: UpdateOptions, prefix = 'input'): Promise<FlagChangeRecord> {
    const version = (await lockVersion(tx)) + 1;
    const row = await currentRow(tx, key);
    if (!row) throw notFound('Flag');
    options.authorize?.(toDefinition(row));
    if (options.expectedVersion !== undefined && row.version !== options.expectedVersion) {
      throw conflict(`Flag "${key}" is at version ${row.version}, not ${options.expectedVersion}`, { field: `${prefix}.expectedVersion`, currentVersion: row.version });
    }
    const before = toDefinition(row);
    const now = new Date();
    const after: FlagDefinition = { ...applyPatch(before, patch, prefix), version, updatedAt: now.toISOString() };
    await tx.update(flags).set(columnsOf(after)).where(eq(flags.key, key));
    return record(tx, {
      version,
      key,
      action: 'UPDATED',
      actorId: options.actorId,
      scheduledChangeId: options.scheduledChangeId ?? null,
      reason: options.reason ?? null,
      before,
      after,
      occurredAt: now.toISOString(),
    });
  }

  return {
    lockVersion,
    updateIn,

    async currentVersion(): Promise<number> {
      const [row] = await db.select({ version: versionCounter.version }).from(versionCounter).where(eq(versionCounter.id, 1));
      return row?.version ?? 0;
    },

    async get(key: string): Promise<FlagDefinition | undefined> {
      const row = await currentRow(db, key);
      return row ? toDefinition(row) : undefined;
    },

    async list(): Promise<FlagDefinition[]> {
      return (await db.select().from(flags).orderBy(asc(flags.key))).map(toDefinition);
    },

    async create(fields: FlagFields, actorId: string | null): Promise<FlagChangeRecord> {
      return db.transaction(async (tx) => {
        const version = (await lockVersion(tx)) + 1;
        if (await currentRow(tx, fields.key)) throw conflict(`Flag "${fields.key}" already exists`, { field: 'input.key' });
        const now = new Date();
        const after: FlagDefinition = { ...fields, version, createdAt: now.toISOString(), updatedAt: now.toISOString() };
        await tx.insert(flags).values({ key: fields.key, ...columnsOf(after), createdAt: now });
        return record(tx, { version, key: fields.key, action: 'CREATED', actorId, scheduledChangeId: null, reason: null, before: null, after, occurredAt: now.toISOString() });
      });
    },

    update(key: string, patch: FlagPatch, options: UpdateOptions): Promise<FlagChangeRecord> {
      return db.transaction((tx) => updateIn(tx, key, patch, options));
    },

    /** Deletes the flag and cancels its pending scheduled changes. */
    async remove(key: string, actorId: string | null, authorize?: (before: FlagDefinition) => void): Promise<FlagChangeRecord> {
      return db.transaction(async (tx) => {
        const version = (await lockVersion(tx)) + 1;
        const row = await currentRow(tx, key);
        if (!row) throw notFound('Flag');
        authorize?.(toDefinition(row));
        const now = new Date();
        await tx.delete(flags).where(eq(flags.key, key));
        await tx
          .update(scheduledChanges)
          .set({ status: 'CANCELLED', cancelledAt: now, cancelledBy: actorId, failureReason: 'flag deleted' })
          .where(and(eq(scheduledChanges.flagKey, key), eq(scheduledChanges.status, 'PENDING')));
        return record(tx, { version, key, action: 'DELETED', actorId, scheduledChangeId: null, reason: null, before: toDefinition(row), after: null, occurredAt: now.toISOString() });
      });
    },

    /** Every flag at one version, read in one repeatable-read transaction. */
    snapshot(): Promise<FlagSnapshot> {
      return db.transaction(
        async (tx) => {
          const [counter] = await tx.select().from(versionCounter).where(eq(versionCounter.id, 1));
          const rows = await tx.select().from(flags).orderBy(asc(flags.key));
          return { version: counter?.version ?? 0, flags: rows.map(toDefinition) };
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      );
    },

    /** What a subscriber that last saw `afterVersion` missed, or a snapshot when history cannot say. */
    resumeAfter(afterVersion: number | undefined): Promise<Resumption> {
      return db.transaction(
        async (tx) => {
          const [counter] = await tx.select().from(versionCounter).where(eq(versionCounter.id, 1));
          const version = counter?.version ?? 0;
          const replayable =
            afterVersion !== undefined && afterVersion <= version && afterVersion >= (counter?.prunedThrough ?? 0) && version - afterVersion <= MAX_REPLAY;
          if (replayable) {
            const rows = await tx.select().from(flagEvents).where(gt(flagEvents.version, afterVersion)).orderBy(asc(flagEvents.version));
            return { type: 'replay' as const, version, changes: rows.map(toChange) };
          }
          const rows = await tx.select().from(flags).orderBy(asc(flags.key));
          return { type: 'snapshot' as const, snapshot: { version, flags: rows.map(toDefinition) } };
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      );
    },

    /** Stored changes in (after, upTo], in version order. */
    async changesBetween(after: number, upTo: number): Promise<FlagChangeRecord[]> {
      const rows = await db
        .select()
        .from(flagEvents)
        .where(and(gt(flagEvents.version, after), lte(flagEvents.version, upTo)))
        .orderBy(asc(flagEvents.version));
      return rows.map(toChange);
    },

    /** A flag's changes, newest first. */
    async history(key: string, limit: number): Promise<FlagChangeRecord[]> {
      const rows = await db.select().from(flagEvents).where(eq(flagEvents.key, key)).orderBy(desc(flagEvents.version)).limit(limit);
      return rows.map(toChange);
    },

    /**
     * Deletes the changes that occurred before `cutoff`, as a prefix of the version order (so
     * history stays contiguous), and records how far it reached. Returns how many were deleted.
     */
    async prune(cutoff: Date): Promise<number> {
      return db.transaction(async (tx) => {
        await lockVersion(tx);
        const [{ through } = { through: null }] = await tx
          .select({ through: max(flagEvents.version) })
          .from(flagEvents)
          .where(lt(flagEvents.occurredAt, cutoff));
        if (through === null) return 0;
        const deleted = await tx.delete(flagEvents).where(lte(flagEvents.version, through)).returning({ version: flagEvents.version });
        await tx
          .update(versionCounter)
          .set({ prunedThrough: sql`greatest(${versionCounter.prunedThrough}, ${through})` })
          .where(eq(versionCounter.id, 1));
        return deleted.length;
      });
    },
  };
}

export type FlagStore = ReturnType<typeof createFlagStore>;

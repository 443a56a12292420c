import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt, lt, or, type SQL } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import type { AuditChainMetrics } from '@voiceassist/metrics';
import { createAuditPersonalData } from './audit-personal-data.js';
import { auditEvents, type AuditEventRow } from './db/schema.js';
import { lockFor, type Transaction } from './db/transaction.js';

/** Who did it and from where: taken from the request, never from input. */
export interface AuditOrigin {
  actorId: string | null;
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

export interface AuditEntry {
  action: string;
  targetType?: string;
  targetId?: string;
  /** Facts about the event; never passwords, tokens or settings values. */
  metadata?: Record<string, unknown>;
}

export interface AuditVerification {
  valid: boolean;
  checked: number;
  firstBrokenId: number | null;
}

export interface AuditLog {
  /** Loads the pseudonym key (creating it on first start). */
  init(): Promise<void>;
  /**
   * Appends inside the caller's transaction, so the entry exists exactly when the change does.
   * Returns the stored row: its personal data encrypted or pseudonymised (audit-personal-data.ts).
   */
  append(tx: Transaction, origin: AuditOrigin, entry: AuditEntry): Promise<AuditEventRow>;
  /** Newest first; `before` is an id from an earlier page. Personal data decrypted while its person's key exists. */
  list(options: { limit: number; before?: number; actorId?: string; action?: string }): Promise<AuditEventRow[]>;
  /** Entries by or about the user, newest first, decrypted (their data export). */
  about(userId: string, limit: number): Promise<AuditEventRow[]>;
  /** Makes the user's personal data in every entry unreadable, in the erasure's transaction. */
  shred(tx: Transaction, userId: string): Promise<void>;
  /** Walks the chain from the first entry and stops at the first one that does not hold. */
  verify(): Promise<AuditVerification>;
}

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with sorted keys and no undefined, so a row hashes the same after a database round trip. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

type HashedContent = Omit<AuditEventRow, 'hash'>;

export function auditHash(row: HashedContent): string {
  const content = {
    id: row.id,
    occurredAt: row.occurredAt,
    actorId: row.actorId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    ip: row.ip,
    userAgent: row.userAgent,
    requestId: row.requestId,
    metadata: row.metadata,
    prevHash: row.prevHash,
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

const VERIFY_PAGE = 500;

/** `metrics` counts each verification's result (the alert on a broken chain reads them). */
export function createAuditLog(db: Database, metrics?: AuditChainMetrics): AuditLog {
  const personalData = createAuditPersonalData(db);
  return {
    init: () => personalData.init(),

    async append(tx, origin, entry) {
      const targetUser = entry.targetType === 'user' ? (entry.targetId ?? null) : null;
      // The request's address is its actor's (or, signed out, the account it was about); the metadata is about the target.
      const personal = await personalData.protect(
        tx,
        { ip: origin.ip ?? null, userAgent: origin.userAgent?.slice(0, 512) ?? null, metadata: entry.metadata ?? {} },
        { originOwner: origin.actorId ?? targetUser, subjectOwner: targetUser ?? origin.actorId },
      );
      await lockFor(tx, 'audit-chain');
      const [last] = await tx.select({ id: auditEvents.id, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.id)).limit(1);
      const content: HashedContent = {
        id: (last?.id ?? 0) + 1,
        occurredAt: new Date(),
        actorId: origin.actorId,
        action: entry.action,
        targetType: entry.targetType ?? null,
        targetId: entry.targetId ?? null,
        ip: personal.ip,
        userAgent: personal.userAgent,
        requestId: origin.requestId ?? null,
        metadata: personal.metadata,
        prevHash: last?.hash ?? GENESIS_HASH,
      };
      const row = { ...content, hash: auditHash(content) };
      await tx.insert(auditEvents).values(row);
      return row;
    },

    async list({ limit, before, actorId, action }) {
      const filters: SQL[] = [];
      if (before !== undefined) filters.push(lt(auditEvents.id, before));
      if (actorId) filters.push(eq(auditEvents.actorId, actorId));
      if (action) filters.push(eq(auditEvents.action, action));
      return personalData.reveal(await db.select().from(auditEvents).where(and(...filters)).orderBy(desc(auditEvents.id)).limit(limit));
    },

    async about(userId, limit) {
      const rows = await db
        .select()
        .from(auditEvents)
        .where(or(eq(auditEvents.actorId, userId), and(eq(auditEvents.targetType, 'user'), eq(auditEvents.targetId, userId))))
        .orderBy(desc(auditEvents.id))
        .limit(limit);
      return personalData.reveal(rows);
    },

    shred: (tx, userId) => personalData.shred(tx, userId),

    async verify() {
      const result = await walkChain();
      metrics?.verified(result.valid);
      return result;
    },
  };

  /** Walks the chain from the first entry and stops at the first one that does not hold. */
  async function walkChain(): Promise<AuditVerification> {
    let checked = 0;
    let previous = { id: 0, hash: GENESIS_HASH };
    for (;;) {
      const page = await db.select().from(auditEvents).where(gt(auditEvents.id, previous.id)).orderBy(asc(auditEvents.id)).limit(VERIFY_PAGE);
      for (const row of page) {
        checked += 1;
        // A gap in ids or a broken link means rows were removed or rewritten before this one.
        const intact = row.id === previous.id + 1 && row.prevHash === previous.hash && auditHash(row) === row.hash;
        if (!intact) return { valid: false, checked, firstBrokenId: row.id };
        previous = { id: row.id, hash: row.hash };
      }
      if (page.length < VERIFY_PAGE) return { valid: true, checked, firstBrokenId: null };
    }
  }
}

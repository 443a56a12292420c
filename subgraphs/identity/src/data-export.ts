import { desc, eq } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { notFound } from '@voiceassist/errors';
import type { AuditLog } from './audit-log.js';
import { sessions, users } from './db/schema.js';

/** More would make one response unreasonably large; the export says when it stopped there. */
const EXPORTED_AUDIT_ENTRIES = 10_000;

const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * Identity's part of a person's data export: profile, settings, sessions (their metadata, never
 * token hashes) and the audit entries by or about them, with their personal data decrypted.
 */
export async function exportIdentityData(db: Database, audit: AuditLog, userId: string): Promise<Record<string, unknown>> {
  const [user] = await db.select().from(users).where(eq(users.id, userId)).limit(1);
  if (!user) throw notFound('User');
  const sessionRows = await db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(desc(sessions.createdAt));
  const entries = await audit.about(userId, EXPORTED_AUDIT_ENTRIES + 1);
  return {
    profile: {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      active: user.active,
      createdAt: iso(user.createdAt),
      updatedAt: iso(user.updatedAt),
      lastLoginAt: iso(user.lastLoginAt),
    },
    settings: user.settings,
    sessions: sessionRows.map((s) => ({
      id: s.id,
      createdAt: iso(s.createdAt),
      lastUsedAt: iso(s.lastUsedAt),
      revokedAt: iso(s.revokedAt),
      revokedReason: s.revokedReason,
      ip: s.ip,
      userAgent: s.userAgent,
    })),
    auditEntries: entries.slice(0, EXPORTED_AUDIT_ENTRIES).map((e) => ({
      id: e.id,
      occurredAt: iso(e.occurredAt),
      action: e.action,
      actorId: e.actorId,
      targetType: e.targetType,
      targetId: e.targetId,
      ip: e.ip,
      userAgent: e.userAgent,
      metadata: e.metadata,
    })),
    auditEntriesTruncated: entries.length > EXPORTED_AUDIT_ENTRIES,
  };
}

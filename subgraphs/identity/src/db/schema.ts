import { sql } from 'drizzle-orm';
import type { JWK } from 'jose';
import { bigint, boolean, index, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const identity = pgSchema('identity');

export const roleEnum = identity.enum('role', ['VIEWER', 'USER', 'ADMIN', 'SUPERADMIN']);

// Millisecond timestamps set by the app, so keyset cursors and audit hashes round-trip exactly.
const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const createdAt = () => timestampColumn('created_at').notNull().defaultNow().$defaultFn(() => new Date());

export const users = identity.table(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored lower-cased. */
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    displayName: text('display_name').notNull(),
    role: roleEnum('role').notNull().default('USER'),
    active: boolean('active').notNull().default(true),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow().$defaultFn(() => new Date()),
    lastLoginAt: timestampColumn('last_login_at'),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email), index('users_created_at_idx').on(t.createdAt, t.id)],
);

/** A session is one refresh-token family: every rotation stays in it, and revoking it ends them all. */
export const sessions = identity.table(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    lastUsedAt: timestampColumn('last_used_at').notNull().defaultNow().$defaultFn(() => new Date()),
    revokedAt: timestampColumn('revoked_at'),
    revokedReason: text('revoked_reason'),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId).where(sql`${t.revokedAt} is null`)],
);

/**
 * Every revoked session, kept until its access tokens have all expired: what verifiers sync their
 * in-memory revocation sets from. Deliberately no foreign key: deleting a user (and so their
 * sessions) must not take the revocations with it.
 */
export const revokedSessions = identity.table(
  'revoked_sessions',
  {
    sessionId: uuid('session_id').primaryKey(),
    revokedAt: timestampColumn('revoked_at').notNull(),
    /** revokedAt + the maximum access-token lifetime; pruned after. */
    keepUntil: timestampColumn('keep_until').notNull(),
  },
  (t) => [index('revoked_sessions_revoked_at_idx').on(t.revokedAt), index('revoked_sessions_keep_until_idx').on(t.keepUntil)],
);

export const refreshTokens = identity.table(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** SHA-256 of the token, hex; the token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
    expiresAt: timestampColumn('expires_at').notNull(),
    /** Set when the token was exchanged; presenting it again is reuse. */
    rotatedAt: timestampColumn('rotated_at'),
  },
  (t) => [uniqueIndex('refresh_tokens_token_hash_key').on(t.tokenHash), index('refresh_tokens_session_id_idx').on(t.sessionId)],
);

export const signingKeys = identity.table('signing_keys', {
  /** The JWK thumbprint, used as `kid`. */
  id: text('id').primaryKey(),
  algorithm: text('algorithm').notNull(),
  /** PKCS8 PEM; null for a key given by env (kept there) and for retired keys (never sign again). */
  privateKey: text('private_key'),
  publicJwk: jsonb('public_jwk').$type<JWK>().notNull(),
  createdAt: createdAt(),
  /** When a newer key took over; the public key stays published until its tokens have expired. */
  retiredAt: timestampColumn('retired_at'),
});

/** Append-only and hash-chained; ids are consecutive so a deleted row leaves a visible gap. */
export const auditEvents = identity.table(
  'audit_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey(),
    occurredAt: timestampColumn('occurred_at').notNull(),
    actorId: uuid('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_events_actor_idx').on(t.actorId, t.id),
    index('audit_events_action_idx').on(t.action, t.id),
    // A person's export gathers the entries about them as well as those by them.
    index('audit_events_target_idx').on(t.targetId, t.id),
  ],
);

/**
 * Each person's key for the personal data in audit entries about them (AES-256-GCM). Deleting
 * the row is the erasure of that data (crypto-shredding): the entries stay and still verify.
 * The foreign key takes it with the user should anything delete one without the erasure path.
 */
export const userKeys = identity.table('user_keys', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** 32 random bytes, base64. */
  key: text('key').notNull(),
  createdAt: createdAt(),
});

/** Keys the service generates once and keeps (e.g. the audit log's pseudonym key). */
export const serverSecrets = identity.table('server_secrets', {
  name: text('name').primaryKey(),
  /** base64. */
  value: text('value').notNull(),
  createdAt: createdAt(),
});

/**
 * The erasure outbox: one row per deleted person, written in the deletion's transaction and
 * served to the subgraphs (GET /erasures) until they have all confirmed. Only the id: no email
 * or name, so this table identifies nobody.
 */
export const userErasures = identity.table(
  'user_erasures',
  {
    userId: uuid('user_id').primaryKey(),
    requestedAt: timestampColumn('requested_at').notNull(),
    /** Who deleted the account (the person themself for deleteMe); null for the system. */
    requestedBy: uuid('requested_by'),
    /** When every subgraph in ERASURE_SUBGRAPHS had confirmed. */
    completedAt: timestampColumn('completed_at'),
  },
  (t) => [index('user_erasures_requested_at_idx').on(t.requestedAt), index('user_erasures_pending_idx').on(t.userId).where(sql`${t.completedAt} is null`)],
);

/** Which subgraph has erased whom, as each confirmed on pub/sub. */
export const userErasureConfirmations = identity.table(
  'user_erasure_confirmations',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => userErasures.userId, { onDelete: 'cascade' }),
    subgraph: text('subgraph').notNull(),
    erasedAt: timestampColumn('erased_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.subgraph] })],
);

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;
export type SigningKeyRow = typeof signingKeys.$inferSelect;
export type UserErasureRow = typeof userErasures.$inferSelect;

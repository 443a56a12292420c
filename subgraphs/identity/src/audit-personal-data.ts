import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { serverSecrets, userKeys, users } from './db/schema.js';
import type { Transaction } from './db/transaction.js';

/**
 * Personal data in audit entries (emails, addresses, user agents) is never stored in plaintext:
 * - about a known person: AES-256-GCM under that person's key (identity.user_keys), which the
 *   erasure deletes, so the entries stay (and the hash chain, which covers the stored form, still
 *   verifies) but no longer say anything about them;
 * - about nobody known (a failed login for an unknown email): an HMAC-SHA-256 pseudonym under a
 *   server key, so repeated attempts still line up without the email being kept.
 * Entries written before this existed keep their plaintext (the log is append-only).
 */

const ENCRYPTED = 'enc1:';
const PSEUDONYM = 'pseudonym:';
/** What a reader sees of a value whose person has been erased. */
export const ERASED = '[erased]';
/** Metadata keys whose values are personal data; top level only. */
const PERSONAL_METADATA_KEYS = ['email'] as const;
const PSEUDONYM_KEY_NAME = 'audit_pseudonym_key';

type Executor = Database | Transaction;

export interface PersonalFields {
  ip: string | null;
  userAgent: string | null;
  metadata: Record<string, unknown>;
}

export interface AuditPersonalData {
  /** Loads (or creates, on first start) the pseudonym key. */
  init(): Promise<void>;
  /**
   * The stored form of an entry's personal fields: the origin's (ip, user agent) under
   * `originOwner`'s key, the metadata's under `subjectOwner`'s; a pseudonym where the owner is
   * null or no longer exists.
   */
  protect(tx: Transaction, fields: PersonalFields, owners: { originOwner: string | null; subjectOwner: string | null }): Promise<PersonalFields>;
  /** What readers see: decrypted while the person's key exists, null / "[erased]" after. */
  reveal<T extends PersonalFields>(rows: T[]): Promise<T[]>;
  /** Deletes the person's key in the erasure's transaction: their encrypted values become unreadable. */
  shred(tx: Transaction, userId: string): Promise<void>;
}

function encrypt(key: Buffer, owner: string, value: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  // The owner is authenticated with the value, so a value cannot be moved under another person's id.
  cipher.setAAD(Buffer.from(owner));
  const sealed = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return `${ENCRYPTED}${owner}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
}

function decrypt(key: Buffer, owner: string, payload: string): string | null {
  try {
    const raw = Buffer.from(payload, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(owner));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/** `enc1:<owner uuid>:<payload>` → its parts; anything else (pseudonyms, old plaintext) → null. */
function parseEncrypted(value: unknown): { owner: string; payload: string } | null {
  if (typeof value !== 'string' || !value.startsWith(ENCRYPTED)) return null;
  const rest = value.slice(ENCRYPTED.length);
  const colon = rest.indexOf(':');
  return colon === 36 ? { owner: rest.slice(0, colon), payload: rest.slice(colon + 1) } : null;
}

export function createAuditPersonalData(db: Database): AuditPersonalData {
  let pseudonymKey: Buffer | undefined;

  async function loadPseudonymKey(executor: Executor): Promise<Buffer> {
    if (pseudonymKey) return pseudonymKey;
    // Whichever replica starts first creates it; the others read the same one.
    await executor.insert(serverSecrets).values({ name: PSEUDONYM_KEY_NAME, value: randomBytes(32).toString('base64') }).onConflictDoNothing();
    const [row] = await executor.select({ value: serverSecrets.value }).from(serverSecrets).where(eq(serverSecrets.name, PSEUDONYM_KEY_NAME));
    pseudonymKey = Buffer.from(row!.value, 'base64');
    return pseudonymKey;
  }

  /** The person's key, created on first use; null when there is no such user (any more). */
  async function keyOf(tx: Transaction, userId: string): Promise<Buffer | null> {
    const fresh = randomBytes(32).toString('base64');
    await tx.execute(sql`
      insert into ${userKeys} ("user_id", "key") select ${userId}::uuid, ${fresh}
      where exists (select 1 from ${users} where ${users.id} = ${userId}::uuid) on conflict do nothing`);
    const [row] = await tx.select({ key: userKeys.key }).from(userKeys).where(eq(userKeys.userId, userId));
    return row ? Buffer.from(row.key, 'base64') : null;
  }

  return {
    async init() {
      await loadPseudonymKey(db);
    },

    async protect(tx, fields, { originOwner, subjectOwner }) {
      const keys = new Map<string, Buffer | null>();
      const seal = async (owner: string | null, field: string, value: string): Promise<string> => {
        if (owner) {
          if (!keys.has(owner)) keys.set(owner, await keyOf(tx, owner));
          const key = keys.get(owner);
          if (key) return encrypt(key, owner, value);
        }
        const digest = createHmac('sha256', await loadPseudonymKey(tx)).update(`${field}:${value}`).digest('hex');
        return `${PSEUDONYM}${digest.slice(0, 32)}`;
      };
      const metadata = { ...fields.metadata };
      for (const name of PERSONAL_METADATA_KEYS) {
        const value = metadata[name];
        if (typeof value === 'string') metadata[name] = await seal(subjectOwner, name, value);
      }
      return {
        ip: fields.ip === null ? null : await seal(originOwner, 'ip', fields.ip),
        userAgent: fields.userAgent === null ? null : await seal(originOwner, 'userAgent', fields.userAgent),
        metadata,
      };
    },

    async reveal(rows) {
      const owners = new Set<string>();
      const note = (value: unknown) => {
        const parsed = parseEncrypted(value);
        if (parsed) owners.add(parsed.owner);
      };
      for (const row of rows) {
        note(row.ip);
        note(row.userAgent);
        for (const name of PERSONAL_METADATA_KEYS) note(row.metadata[name]);
      }
      const keyRows = owners.size === 0 ? [] : await db.select().from(userKeys).where(inArray(userKeys.userId, [...owners]));
      const keys = new Map(keyRows.map((row) => [row.userId, Buffer.from(row.key, 'base64')]));
      const open = (value: string | null): string | null => {
        const parsed = parseEncrypted(value);
        if (!parsed) return value;
        const key = keys.get(parsed.owner);
        return key ? decrypt(key, parsed.owner, parsed.payload) : null;
      };
      return rows.map((row) => {
        const metadata = { ...row.metadata };
        for (const name of PERSONAL_METADATA_KEYS) {
          const value = metadata[name];
          if (typeof value === 'string') metadata[name] = open(value) ?? ERASED;
        }
        return { ...row, ip: open(row.ip), userAgent: open(row.userAgent), metadata };
      });
    },

    async shred(tx, userId) {
      await tx.delete(userKeys).where(eq(userKeys.userId, userId));
    },
  };
}

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql, type DatabaseHandle } from '@voiceassist/database';
import { auditHash, canonicalJson, createAuditLog, GENESIS_HASH, type AuditLog } from './audit-log.js';
import { ERASED } from './audit-personal-data.js';
import { users } from './db/schema.js';
import { openTestDatabase } from '@voiceassist/testkit/database';
import { identityDatabase } from './db/database.js';

let database: DatabaseHandle;
let close: () => Promise<void>;
let audit: AuditLog;
beforeAll(async () => {
  ({ database, close } = await openTestDatabase(identityDatabase));
  audit = createAuditLog(database.db);
});
afterAll(() => close());

const origin = { actorId: randomUUID(), ip: '203.0.113.7', userAgent: 'vitest', requestId: 'req-1' };

async function append(action: string, metadata: Record<string, unknown> = {}) {
  return database.db.transaction((tx) => audit.append(tx, origin, { action, targetType: 'user', targetId: origin.actorId, metadata }));
}

/** Tampering means getting past the append-only trigger first, as someone with owner rights could. */
async function asOwner(statement: ReturnType<typeof sql>) {
  await database.query(sql`alter table identity.audit_events disable trigger audit_events_no_change`);
  try {
    await database.query(statement);
  } finally {
    await database.query(sql`alter table identity.audit_events enable trigger audit_events_no_change`);
  }
}

describe('canonical JSON', () => {
  it('is the same whatever the key order, and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson(new Date('2026-01-02T03:04:05.678Z'))).toBe('"2026-01-02T03:04:05.678Z"');
  });
});

describe('audit log', () => {
  beforeEach(async () => {
    await database.query(sql`alter table identity.audit_events disable trigger audit_events_no_truncate`);
    await database.query(sql`truncate identity.audit_events`);
    await database.query(sql`alter table identity.audit_events enable trigger audit_events_no_truncate`);
  });

  it('chains each entry to the previous one with SHA-256 and records who, what and where', async () => {
    const first = await append('login', { sessionId: 's1' });
    const second = await append('logout');
    // The actor is no user here: their address is kept as a pseudonym (see the personal data tests).
    expect(first).toMatchObject({ id: 1, prevHash: GENESIS_HASH, action: 'login', ip: expect.stringMatching(/^pseudonym:/), requestId: 'req-1', actorId: origin.actorId });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second.prevHash).toBe(first.hash);
    expect(second.id).toBe(2);
    // The hash survives a database round trip (jsonb reorders keys, timestamps come back as Dates).
    const [stored] = await audit.list({ limit: 1, before: 2 });
    expect(auditHash(stored!)).toBe(first.hash);
    expect(await audit.verify()).toEqual({ valid: true, checked: 2, firstBrokenId: null });
  });

  it('serialises concurrent appends into one unbroken chain', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => append('refresh', { n: i })));
    expect(await audit.verify()).toEqual({ valid: true, checked: 12, firstBrokenId: null });
  });

  it('is append-only: the database refuses edits and deletions', async () => {
    await append('login');
    // drizzle wraps the driver's error; the trigger's message is in its cause.
    const refusal = (statement: ReturnType<typeof sql>) =>
      database.query(statement).then(
        () => 'accepted',
        (error: Error) => String((error.cause as Error | undefined)?.message ?? error.message),
      );
    expect(await refusal(sql`update identity.audit_events set action = 'nothing' where id = 1`)).toMatch(/append-only/);
    expect(await refusal(sql`delete from identity.audit_events where id = 1`)).toMatch(/append-only/);
    expect(await audit.verify()).toEqual({ valid: true, checked: 1, firstBrokenId: null });
  });

  it('names an entry whose content was edited', async () => {
    for (const action of ['register', 'login', 'user_update', 'logout']) await append(action);
    await asOwner(sql`update identity.audit_events set metadata = '{"role":"SUPERADMIN"}' where id = 3`);
    expect(await audit.verify()).toEqual({ valid: false, checked: 3, firstBrokenId: 3 });
  });

  it('names the entry after one that was rewritten with a fresh hash', async () => {
    for (const action of ['register', 'login', 'user_update', 'logout']) await append(action);
    const [row] = await audit.list({ limit: 1, before: 3 });
    const forged = { ...row!, action: 'nothing_to_see' };
    await asOwner(sql`update identity.audit_events set action = ${forged.action}, hash = ${auditHash(forged)} where id = 2`);
    expect(await audit.verify()).toEqual({ valid: false, checked: 3, firstBrokenId: 3 });
  });

  it('names the entry after a deleted one', async () => {
    for (const action of ['register', 'login', 'user_update', 'logout']) await append(action);
    await asOwner(sql`delete from identity.audit_events where id = 2`);
    expect(await audit.verify()).toEqual({ valid: false, checked: 2, firstBrokenId: 3 });
  });

  it('lists newest first, filtered by actor and action, from a position', async () => {
    await append('login');
    await append('logout');
    await append('login');
    await database.db.transaction((tx) => audit.append(tx, { actorId: null }, { action: 'login_failed' }));
    expect((await audit.list({ limit: 10 })).map((e) => e.id)).toEqual([4, 3, 2, 1]);
    expect((await audit.list({ limit: 10, action: 'login' })).map((e) => e.id)).toEqual([3, 1]);
    expect((await audit.list({ limit: 10, actorId: origin.actorId })).map((e) => e.id)).toEqual([3, 2, 1]);
    expect((await audit.list({ limit: 2, before: 3 })).map((e) => e.id)).toEqual([2, 1]);
  });
});

describe('personal data in the audit log', () => {
  const PERSON_EMAIL = 'ada.lovelace@example.com';
  const PERSON_IP = '198.51.100.23';
  const PERSON_AGENT = 'AdaBrowser/1.0';

  async function person() {
    const [user] = await database.db.insert(users).values({ email: PERSON_EMAIL, passwordHash: 'x', displayName: 'Ada' }).returning();
    return user!;
  }

  /** Every audit row as the database holds it, as text: what someone reading the table sees. */
  const storedText = async () => JSON.stringify(await database.query(sql`select t::text as row from identity.audit_events t`));

  beforeEach(async () => {
    await database.db.delete(users);
  });

  it('stores a person’s email, address and user agent encrypted, and shows them decrypted', async () => {
    const user = await person();
    const byPerson = { actorId: user.id, ip: PERSON_IP, userAgent: PERSON_AGENT, requestId: 'r-ada' };
    const stored = await database.db.transaction((tx) => audit.append(tx, byPerson, { action: 'user_delete', targetType: 'user', targetId: user.id, metadata: { email: PERSON_EMAIL, role: 'USER' } }));
    expect(stored.ip).toMatch(/^enc1:/);
    expect(stored.metadata.email).toMatch(/^enc1:/);
    expect(await storedText()).not.toContain(PERSON_EMAIL);
    expect(await storedText()).not.toContain(PERSON_IP);
    expect(await storedText()).not.toContain(PERSON_AGENT);

    const [shown] = await audit.list({ limit: 1, actorId: user.id });
    expect(shown).toMatchObject({ ip: PERSON_IP, userAgent: PERSON_AGENT, metadata: { email: PERSON_EMAIL, role: 'USER' } });
    expect((await audit.about(user.id, 10)).map((e) => e.id)).toEqual([stored.id]);
  });

  it('makes them unreadable once the person’s key is shredded, and the chain still verifies', async () => {
    const user = await person();
    const before = (await audit.verify()).checked;
    const byPerson = { actorId: user.id, ip: PERSON_IP, userAgent: PERSON_AGENT, requestId: 'r-ada' };
    await database.db.transaction((tx) => audit.append(tx, byPerson, { action: 'login', targetType: 'user', targetId: user.id, metadata: { email: PERSON_EMAIL } }));
    await database.db.transaction(async (tx) => {
      await audit.shred(tx, user.id);
      await tx.delete(users);
    });
    await database.db.transaction((tx) => audit.append(tx, { actorId: null }, { action: 'user_erasure_complete', targetType: 'user', targetId: user.id }));

    const [shown] = await audit.list({ limit: 1, action: 'login', actorId: user.id });
    expect(shown).toMatchObject({ ip: null, userAgent: null, metadata: { email: ERASED } });
    expect(await storedText()).not.toContain(PERSON_EMAIL);
    expect(await storedText()).not.toContain(PERSON_IP);
    expect(await audit.verify()).toEqual({ valid: true, checked: before + 2, firstBrokenId: null });
  });

  it('keeps a pseudonym for an email that belongs to nobody: the same for the same email, never the email', async () => {
    const failedLogin = (email: string) =>
      database.db.transaction((tx) => audit.append(tx, { actorId: null, ip: PERSON_IP }, { action: 'login_failed', metadata: { reason: 'unknown_email', email } }));
    const [a, b, c] = [await failedLogin(PERSON_EMAIL), await failedLogin(PERSON_EMAIL), await failedLogin('someone.else@example.com')];
    expect(a.metadata.email).toMatch(/^pseudonym:[0-9a-f]{32}$/);
    expect(b.metadata.email).toBe(a.metadata.email);
    expect(c.metadata.email).not.toBe(a.metadata.email);
    expect(a.ip).toMatch(/^pseudonym:/);
    expect(await storedText()).not.toContain(PERSON_EMAIL);
    expect(await storedText()).not.toContain(PERSON_IP);
    // A reader sees the pseudonym (it lines attempts up) and never the email.
    const shown = await audit.list({ limit: 3, action: 'login_failed' });
    expect(shown.map((e) => e.metadata.email)).toEqual([c.metadata.email, a.metadata.email, a.metadata.email]);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '@voiceassist/database';
import { createLogger } from '@voiceassist/logging';
import { openTestDatabase } from '@voiceassist/testkit/database';
import { knowledgeDatabase } from './db/database.js';
import { documents } from './db/schema.js';

// A failed write's DrizzleQueryError carries what it tried to write (here a document's title and
// text) in its params, its message and its cause. Logged the way ingestion logs failures, none of
// it may reach the log line: PGlite, or PostgreSQL when DATABASE_URL is set.
let testDatabase: Awaited<ReturnType<typeof openTestDatabase>>;
let database: DatabaseHandle;

beforeAll(async () => {
  testDatabase = await openTestDatabase(knowledgeDatabase);
  database = testDatabase.database;
});
afterAll(async () => {
  await testDatabase?.close();
});

const TITLE = 'Discharge summary of Jane Roe';
const TEXT = 'Patient reports crushing chest pain radiating to the left arm';

function document(overrides: Partial<typeof documents.$inferInsert> = {}): typeof documents.$inferInsert {
  return { title: TITLE, mimeType: 'text/plain', contentHash: `hash-${randomUUID()}`, content: Buffer.from(TEXT), byteSize: TEXT.length, ...overrides };
}

async function failedWrite(write: () => Promise<unknown>): Promise<unknown> {
  try {
    await write();
  } catch (error) {
    return error;
  }
  throw new Error('the write was expected to fail');
}

function logLine(error: unknown, key: 'err' | 'error'): { raw: string; line: Record<string, unknown> } {
  const lines: string[] = [];
  const logger = createLogger({ service: 'knowledge', destination: { write: (line: string) => void lines.push(line) } });
  logger.child({ requestId: 'req-1' }).error({ [key]: error, documentId: 'doc-1' }, 'indexing job crashed');
  expect(lines).toHaveLength(1);
  return { raw: lines[0]!, line: JSON.parse(lines[0]!) as Record<string, unknown> };
}

describe('a failed query in the logs', () => {
  it('keeps the failure (type, SQLSTATE, constraint, stack) but no value the query tried to write', async () => {
    const hash = `hash-${randomUUID()}`;
    await database.db.insert(documents).values(document({ contentHash: hash }));
    const error = await failedWrite(() => database.db.insert(documents).values(document({ contentHash: hash })));
    // The error itself holds the values: what pino's default serializer wrote out.
    expect(JSON.stringify({ message: (error as Error).message, params: (error as { params?: unknown }).params })).toContain(TITLE);
    for (const key of ['err', 'error'] as const) {
      const { raw, line } = logLine(error, key);
      expect(raw).not.toContain(TITLE);
      expect(raw).not.toContain('chest pain');
      expect(raw).not.toContain(hash);
      expect(raw).not.toContain(Buffer.from(TEXT).toString('hex'));
      const logged = line[key] as { type: string; message: string; stack: string; cause: { code: string; constraint?: string } };
      expect(logged.type).toBe('DrizzleQueryError');
      expect(logged.message).toContain('insert into "knowledge"."documents"');
      expect(logged.stack).toMatch(/\n\s+at /);
      expect(logged.cause).toMatchObject({ code: '23505' });
      expect(JSON.stringify(logged.cause)).toContain('documents_content_hash_key');
    }
  });

  it('drops a rejected input value quoted in the database message', async () => {
    const error = await failedWrite(() => database.db.insert(documents).values(document({ createdBy: 'jane.roe@example.com' })));
    const { raw, line } = logLine(error, 'err');
    expect(raw).not.toContain('jane.roe@example.com');
    expect(raw).not.toContain(TITLE);
    expect((line.err as { cause: { code: string } }).cause.code).toBe('22P02');
  });
});

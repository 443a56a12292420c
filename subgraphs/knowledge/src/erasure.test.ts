import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type DatabaseHandle } from '@voiceassist/database';
import { findDatabaseTraces } from '@voiceassist/testkit/traces';
import { openTestDatabase } from '@voiceassist/testkit/database';
import { knowledgeDatabase } from './db/database.js';
import { chunks, documents } from './db/schema.js';
import { createKnowledgeErasure } from './erasure.js';

// Documents a person uploaded are the organisation's: after their erasure the documents and their
// passages stay, searchable as before, and nothing in the knowledge schema names the uploader.

let testDatabase: Awaited<ReturnType<typeof openTestDatabase>>;
let database: DatabaseHandle;

beforeAll(async () => {
  testDatabase = await openTestDatabase(knowledgeDatabase);
  database = testDatabase.database;
});
afterAll(async () => {
  await testDatabase?.close();
});

const TEXT = 'Measure blood pressure twice, five minutes apart.';

async function upload(createdBy: string, title: string): Promise<string> {
  const [row] = await database.db
    .insert(documents)
    .values({ title, mimeType: 'text/plain', contentHash: `hash-${randomUUID()}`, content: Buffer.from(TEXT), byteSize: TEXT.length, status: 'READY', chunkCount: 1, createdBy })
    .returning({ id: documents.id });
  await database.db.insert(chunks).values({ documentId: row!.id, ordinal: 0, documentTitle: title, content: TEXT, embedding: Buffer.alloc(16), embeddingModel: 'test', embeddingDimension: 4 });
  return row!.id;
}

const scan = (needles: string[]) => findDatabaseTraces((statement) => database.query(sql.raw(statement)), ['knowledge'], needles);

describe('erasing a person from knowledge', () => {
  it('keeps the documents they uploaded, without their id, and can run again', async () => {
    const erasure = createKnowledgeErasure(database.db);
    const person = randomUUID();
    const other = randomUUID();
    const theirs = await upload(person, 'Hypertension protocol');
    await upload(other, 'Asthma protocol');
    expect(await erasure.exportData(person)).toEqual({
      documents: [expect.objectContaining({ id: theirs, title: 'Hypertension protocol', mimeType: 'text/plain', status: 'READY', passages: [TEXT] })],
    });

    await erasure.erase(person);
    expect(await scan([person])).toEqual([]);
    const [kept] = await database.db.select({ createdBy: documents.createdBy, title: documents.title }).from(documents).where(sql`${documents.id} = ${theirs}`);
    expect(kept).toEqual({ createdBy: null, title: 'Hypertension protocol' });
    expect((await scan([other])).length).toBe(1);
    expect(await erasure.exportData(person)).toEqual({ documents: [] });

    await erasure.erase(person);
    expect(await scan([person])).toEqual([]);
  });
});

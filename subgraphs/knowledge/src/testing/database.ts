import type { DatabaseHandle } from '@voiceassist/database';
import { createTestDatabase } from '@voiceassist/testkit/database';
import { openKnowledgeDatabase } from '../db/open.js';

/**
 * A migrated knowledge database of the test's own: a fresh PostgreSQL database when
 * DATABASE_URL is set, an in-memory PGlite otherwise. close() drops it.
 */
export async function openTestDatabase(): Promise<{ database: DatabaseHandle; close(): Promise<void> }> {
  const target = await createTestDatabase();
  const database = await openKnowledgeDatabase({ url: target.url });
  return {
    database,
    async close() {
      await database.close();
      await target.drop();
    },
  };
}

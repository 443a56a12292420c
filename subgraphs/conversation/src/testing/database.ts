import type { DatabaseHandle } from '@voiceassist/database';
import { createTestDatabase } from '@voiceassist/testkit/database';
import { openConversationDatabase } from '../db/open.js';

/**
 * A migrated conversation database of the test's own: a fresh PostgreSQL database when
 * DATABASE_URL is set, an in-memory PGlite otherwise. close() drops it.
 */
export async function openTestDatabase(): Promise<{ database: DatabaseHandle; close(): Promise<void> }> {
  const target = await createTestDatabase();
  const database = await openConversationDatabase({ url: target.url });
  return {
    database,
    async close() {
      await database.close();
      await target.drop();
    },
  };
}

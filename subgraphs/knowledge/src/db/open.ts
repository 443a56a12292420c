import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { openDatabase, type DatabaseHandle } from '@voiceassist/database';

/** The knowledge schema, migrated: PostgreSQL at `url`, else PGlite under `dataDir` (in memory without one). */
export async function openKnowledgeDatabase(options: { url?: string | undefined; dataDir?: string | undefined; poolSize?: number }): Promise<DatabaseHandle> {
  const database = await openDatabase({
    schema: 'knowledge',
    migrationsFolder: fileURLToPath(new URL('../../drizzle', import.meta.url)),
    url: options.url,
    dataDir: options.dataDir,
    ...(options.poolSize ? { poolSize: options.poolSize } : {}),
  });
  try {
    await database.db.execute(sql`insert into knowledge.index_state (id, version) values (1, 0) on conflict do nothing`);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

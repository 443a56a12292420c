import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { SubgraphDatabase } from '@voiceassist/database';

/** The knowledge schema and its migrations, with the index state's one row; open it with openSubgraphDatabase. */
export const knowledgeDatabase: SubgraphDatabase = {
  schema: 'knowledge',
  migrationsFolder: fileURLToPath(new URL('../../drizzle', import.meta.url)),
  seed: async ({ db }) => {
    await db.execute(sql`insert into knowledge.index_state (id, version) values (1, 0) on conflict do nothing`);
  },
};

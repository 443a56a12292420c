import { fileURLToPath } from 'node:url';
import type { SubgraphDatabase } from '@voiceassist/database';

/** The flags schema and its migrations; open it with openSubgraphDatabase. */
export const flagsDatabase: SubgraphDatabase = { schema: 'flags', migrationsFolder: fileURLToPath(new URL('../../drizzle', import.meta.url)) };

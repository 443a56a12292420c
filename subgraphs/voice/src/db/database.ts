import { fileURLToPath } from 'node:url';
import type { SubgraphDatabase } from '@voiceassist/database';

/** The voice schema and its migrations; open it with openSubgraphDatabase. */
export const voiceDatabase: SubgraphDatabase = { schema: 'voice', migrationsFolder: fileURLToPath(new URL('../../drizzle', import.meta.url)) };

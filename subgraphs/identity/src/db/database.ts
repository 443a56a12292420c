import { fileURLToPath } from 'node:url';
import type { SubgraphDatabase } from '@voiceassist/database';

/** The identity schema and its migrations; open it with openSubgraphDatabase. */
export const identityDatabase: SubgraphDatabase = { schema: 'identity', migrationsFolder: fileURLToPath(new URL('../../drizzle', import.meta.url)) };

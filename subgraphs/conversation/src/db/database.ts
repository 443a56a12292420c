import { fileURLToPath } from 'node:url';
import type { SubgraphDatabase } from '@voiceassist/database';

/** The conversation schema and its migrations; open it with openSubgraphDatabase. */
export const conversationDatabase: SubgraphDatabase = { schema: 'conversation', migrationsFolder: fileURLToPath(new URL('../../drizzle', import.meta.url)) };

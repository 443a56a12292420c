import { fileURLToPath } from 'node:url';
import { openDatabase, type DatabaseHandle } from '@voiceassist/database';

/** The conversation schema, migrated: PostgreSQL at `url`, else PGlite under `dataDir` (in memory without one). */
export function openConversationDatabase(options: {
  url?: string | undefined;
  dataDir?: string | undefined;
  onQuery?: (query: string) => void;
}): Promise<DatabaseHandle> {
  return openDatabase({
    schema: 'conversation',
    migrationsFolder: fileURLToPath(new URL('../../drizzle', import.meta.url)),
    url: options.url,
    dataDir: options.dataDir,
    ...(options.onQuery ? { onQuery: options.onQuery } : {}),
  });
}

import { fileURLToPath } from 'node:url';
import { openDatabase, type DatabaseHandle } from '@voiceassist/database';

/** The flags schema, migrated: PostgreSQL at `url`, else PGlite under `dataDir` (in memory without one). */
export function openFlagsDatabase(options: { url?: string | undefined; dataDir?: string | undefined }): Promise<DatabaseHandle> {
  return openDatabase({
    schema: 'flags',
    migrationsFolder: fileURLToPath(new URL('../../drizzle', import.meta.url)),
    url: options.url,
    dataDir: options.dataDir,
  });
}

import { fileURLToPath } from 'node:url';
import { openDatabase, type DatabaseHandle } from '@voiceassist/database';

/** The voice schema, migrated: PostgreSQL at `url`, else PGlite under `dataDir` (in memory without one). */
export function openVoiceDatabase(options: { url?: string | undefined; dataDir?: string | undefined }): Promise<DatabaseHandle> {
  return openDatabase({
    schema: 'voice',
    migrationsFolder: fileURLToPath(new URL('../../drizzle', import.meta.url)),
    url: options.url,
    dataDir: options.dataDir,
  });
}

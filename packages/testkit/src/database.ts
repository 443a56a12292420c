import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { openSubgraphDatabase, type DatabaseHandle, type SubgraphDatabase } from '@voiceassist/database';
import { testEnv } from './env.js';

export interface TestDatabase {
  /** A fresh, empty PostgreSQL database, or undefined for an in-memory PGlite. */
  url: string | undefined;
  /** PGlite's folder when the test asked for one that outlives its service (see `reopenable`). */
  dataDir?: string | undefined;
  drop(): Promise<void>;
}

/**
 * With DATABASE_URL set (CI), each test supergraph gets its own database on that server, so
 * suites run in parallel without seeing each other's rows; otherwise PGlite in memory, or in a
 * temporary folder with `reopenable` (a second service, or a restart, opens the same data).
 */
export async function createTestDatabase(baseUrl: string | undefined = testEnv.DATABASE_URL, options: { reopenable?: boolean } = {}): Promise<TestDatabase> {
  if (!baseUrl) {
    if (!options.reopenable) return { url: undefined, drop: async () => {} };
    const dataDir = mkdtempSync(join(tmpdir(), 'voiceassist-pglite-'));
    return { url: undefined, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = postgres(baseUrl, { max: 1, onnotice: () => {} });
      try {
        await client.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A migrated database of the test's own for one subgraph: a fresh PostgreSQL database when
 * DATABASE_URL is set, an in-memory PGlite otherwise. close() drops it.
 */
export async function openTestDatabase(subgraph: SubgraphDatabase): Promise<{ database: DatabaseHandle; close(): Promise<void> }> {
  const target = await createTestDatabase();
  const database = await openSubgraphDatabase(subgraph, { url: target.url });
  return {
    database,
    async close() {
      await database.close();
      await target.drop();
    },
  };
}

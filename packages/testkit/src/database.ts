import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { testEnv } from './env.js';

export interface TestDatabase {
  /** A fresh, empty PostgreSQL database, or undefined for an in-memory PGlite. */
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * With DATABASE_URL set (CI), each test supergraph gets its own database on that server, so
 * suites run in parallel without seeing each other's rows; otherwise PGlite in memory.
 */
export async function createTestDatabase(baseUrl: string | undefined = testEnv.DATABASE_URL): Promise<TestDatabase> {
  if (!baseUrl) return { url: undefined, drop: async () => {} };
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

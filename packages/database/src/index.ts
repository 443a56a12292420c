import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { tracePgliteQueries, tracePostgresQueries } from './query-spans.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether a client-sent id can name a row keyed by a uuid column. Anything else names nothing,
 * and PostgreSQL would reject it with an error instead of finding no row.
 */
export const isUuid = (value: string): boolean => UUID_PATTERN.test(value);

/** The drizzle database every subgraph uses, whichever driver is underneath. */
export type Database = PgDatabase<PgQueryResultHKT, Record<string, never>>;

export interface DatabaseOptions {
  /** The subgraph that owns the Postgres schema; also names its PGlite folder. */
  schema: string;
  /** Folder of drizzle-kit migrations for that schema. */
  migrationsFolder: string;
  /** PostgreSQL connection string; PGlite is used when absent. */
  url?: string | undefined;
  /** Parent folder for PGlite data (`<dataDir>/<schema>`); in memory when absent. */
  dataDir?: string | undefined;
  /** Connection pool size for PostgreSQL. */
  poolSize?: number;
  /** Called with every SQL statement sent (tests count queries with it). */
  onQuery?: (query: string) => void;
}

export interface DatabaseHandle {
  db: Database;
  kind: 'pglite' | 'postgres';
  /** Whether the pgvector extension is available. */
  hasVector: boolean;
  /** Runs a raw statement and returns its rows, on either driver. */
  query<T = Record<string, unknown>>(statement: SQL): Promise<T[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A lock id per schema, so replicas starting together migrate one at a time. */
function advisoryLockId(schema: string): number {
  let hash = 0;
  for (const char of `migrate:${schema}`) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

/**
 * Opens the subgraph's database and applies its migrations. PGlite (with pgvector) when no
 * URL is given, so the supergraph runs with nothing installed; PostgreSQL otherwise.
 */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  const logger = options.onQuery ? { logQuery: (query: string) => options.onQuery?.(query) } : undefined;
  const migrationConfig = {
    migrationsFolder: options.migrationsFolder,
    // Not the subgraph's own schema: drizzle-kit's first migration creates that one.
    migrationsSchema: 'drizzle',
    migrationsTable: `${options.schema}_migrations`,
  };

  if (!options.url) {
    let dataDir: string | undefined;
    if (options.dataDir) {
      dataDir = `${options.dataDir}/${options.schema}`;
      mkdirSync(dataDir, { recursive: true });
    }
    const client = await PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { vector } });
    await client.exec('CREATE EXTENSION IF NOT EXISTS vector');
    tracePgliteQueries(client);
    const db = drizzlePglite({ client, ...(logger ? { logger } : {}) });
    await migratePglite(db, migrationConfig);
    return {
      db: db as unknown as Database,
      kind: 'pglite',
      hasVector: true,
      async query<T>(statement: SQL) {
        const result = await db.execute(statement);
        return result.rows as T[];
      },
      async ping() {
        await client.query('select 1');
      },
      async close() {
        await client.close();
      },
    };
  }

  // Migrate on one dedicated connection holding an advisory lock, then open the pool.
  const migrator = postgres(options.url, { max: 1, onnotice: () => {} });
  try {
    await migrator`select pg_advisory_lock(${advisoryLockId(options.schema)})`;
    const [{ available } = { available: false }] = await migrator<{ available: boolean }[]>`
      select exists(select 1 from pg_available_extensions where name = 'vector') as available`;
    if (available) await migrator`create extension if not exists vector`;
    await migratePostgres(drizzlePostgres({ client: migrator }), migrationConfig);
    await migrator`select pg_advisory_unlock(${advisoryLockId(options.schema)})`;
  } finally {
    await migrator.end();
  }
  const client = postgres(options.url, { max: options.poolSize ?? 10, onnotice: () => {} });
  tracePostgresQueries(client);
  const db = drizzlePostgres({ client, ...(logger ? { logger } : {}) });
  const [{ installed } = { installed: false }] = await client<{ installed: boolean }[]>`
    select exists(select 1 from pg_extension where extname = 'vector') as installed`;
  return {
    db: db as unknown as Database,
    kind: 'postgres',
    hasVector: installed,
    async query<T>(statement: SQL) {
      return (await db.execute(statement)) as unknown as T[];
    },
    async ping() {
      await client`select 1`;
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * A subgraph's database as data: its Postgres schema, its drizzle-kit migrations, and the rows
 * it needs after migrating. The service, its tests and its benchmarks open it the same way.
 */
export interface SubgraphDatabase {
  schema: string;
  migrationsFolder: string;
  /** Rows the schema must hold once migrated; runs on every open, so it must be idempotent. */
  seed?: (database: DatabaseHandle) => Promise<void>;
}

/** Opens a subgraph's database where `options` say (PostgreSQL at `url`, else PGlite), migrated and seeded. */
export async function openSubgraphDatabase(
  subgraph: SubgraphDatabase,
  options: Omit<DatabaseOptions, 'schema' | 'migrationsFolder'> = {},
): Promise<DatabaseHandle> {
  const database = await openDatabase({ ...options, schema: subgraph.schema, migrationsFolder: subgraph.migrationsFolder });
  if (!subgraph.seed) return database;
  try {
    await subgraph.seed(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

export { sql };

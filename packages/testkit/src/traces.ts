import { Redis } from 'ioredis';
import postgres from 'postgres';

/** Runs one SQL statement and returns its rows: a DatabaseHandle (`sql.raw`) or a postgres.js client (`unsafe`). */
export type RawQuery = (statement: string) => Promise<Array<Record<string, unknown>>>;

/** A place that still holds one of the searched strings. */
export interface Trace {
  /** `schema.table` or `redis:<key>`. */
  where: string;
  needle: string;
  /** The row (or Redis value) as text, for the failure message. */
  text: string;
  /** A Redis key's time to live in milliseconds (-1: none). */
  ttlMs?: number;
}

const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;
const identifier = (value: string) => `"${value.replaceAll('"', '""')}"`;

/** The erasure's own records, which hold a deleted person's id (and nothing else about them) by design. */
export const ERASURE_RECORD_TABLES = ['erased_users', 'user_erasures', 'user_erasure_confirmations'];

/**
 * Every row of every table in `schemas` whose text form (all its columns, JSON included) contains
 * one of `needles`, case-insensitively; tables named in `except` are not read. Erasure tests scan
 * with it, so a table added later is scanned too without anyone remembering it.
 */
export async function findDatabaseTraces(query: RawQuery, schemas: readonly string[], needles: readonly string[], except: readonly string[] = ERASURE_RECORD_TABLES): Promise<Trace[]> {
  const tables = await query(
    `select table_schema, table_name from information_schema.tables
     where table_type = 'BASE TABLE' and table_schema in (${schemas.map(literal).join(', ')})
       ${except.length ? `and table_name not in (${except.map(literal).join(', ')})` : ''}
     order by table_schema, table_name`,
  );
  const traces: Trace[] = [];
  for (const { table_schema: schema, table_name: table } of tables as Array<{ table_schema: string; table_name: string }>) {
    for (const needle of needles) {
      const rows = await query(
        `select t::text as text from ${identifier(schema)}.${identifier(table)} t where strpos(lower(t::text), lower(${literal(needle)})) > 0`,
      );
      for (const row of rows) traces.push({ where: `${schema}.${table}`, needle, text: String(row.text) });
    }
  }
  return traces;
}

/** The text of a key's value, whatever its type (binary values as latin1, so ASCII needles still match). */
async function redisValueText(redis: Redis, key: string): Promise<string> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return (await redis.getBuffer(key))?.toString('latin1') ?? '';
    case 'list':
      return (await redis.lrange(key, 0, -1)).join('\n');
    case 'set':
      return (await redis.smembers(key)).join('\n');
    case 'zset':
      return (await redis.zrange(key, 0, -1)).join('\n');
    case 'hash':
      return JSON.stringify(await redis.hgetall(key));
    case 'stream':
      return JSON.stringify(await redis.xrange(key, '-', '+'));
    default:
      return '';
  }
}

/** Every Redis key matching `pattern` whose name or value contains one of `needles`, case-insensitively. */
export async function findRedisTraces(redis: Redis, pattern: string, needles: readonly string[]): Promise<Trace[]> {
  const traces: Trace[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const text = `${key}\n${await redisValueText(redis, key)}`.toLowerCase();
      const found = needles.filter((needle) => text.includes(needle.toLowerCase()));
      if (!found.length) continue;
      const ttlMs = await redis.pttl(key);
      for (const needle of found) traces.push({ where: `redis:${key}`, needle, text: text.slice(0, 300), ttlMs });
    }
  } while (cursor !== '0');
  return traces;
}

/** {@link findDatabaseTraces} in the PostgreSQL database at `url` (a deployment's, say). */
export async function findPostgresTraces(url: string, schemas: readonly string[], needles: readonly string[], except?: readonly string[]): Promise<Trace[]> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await findDatabaseTraces((statement) => client.unsafe(statement), schemas, needles, except);
  } finally {
    await client.end();
  }
}

/** {@link findRedisTraces} over every key of the Redis at `url`. */
export async function findRedisTracesAt(url: string, needles: readonly string[]): Promise<Trace[]> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await findRedisTraces(redis, '*', needles);
  } finally {
    redis.disconnect();
  }
}

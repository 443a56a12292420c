import { Redis } from 'ioredis';

export type { Redis };

export interface RedisOptions {
  url: string;
  /** Prepended to every key, so tests and tenants sharing one server never collide. */
  keyPrefix?: string;
  /** Shown in CLIENT LIST, so an operator sees which service holds a connection. */
  connectionName?: string;
}

/** The one factory for Redis connections. */
export function createRedis({ url, keyPrefix, connectionName }: RedisOptions): Redis {
  return new Redis(url, {
    ...(keyPrefix ? { keyPrefix } : {}),
    ...(connectionName ? { connectionName } : {}),
    maxRetriesPerRequest: 2,
    enableReadyCheck: true,
    // Reconnect with capped back-off; callers see errors instead of hanging forever.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}

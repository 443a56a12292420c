import { Redis } from 'ioredis';

export type { Redis };

export interface RedisOptions {
  url: string;
  /** Prepended to every key, so tests and tenants sharing one server never collide. */
  keyPrefix?: string;
  /** Shown in CLIENT LIST, so an operator sees which service holds a connection. */
  connectionName?: string;
  /**
   * A connection that only SUBSCRIBEs. It sends nothing else on connecting: once a SUBSCRIBE
   * queued while connecting has gone out, Redis refuses the ready check's INFO, CLIENT SETNAME
   * and SETINFO, and ioredis drops the connection (ioredis #2037), losing messages meanwhile.
   * A subscriber needs none of them. Its connection name is therefore ignored.
   */
  subscriber?: boolean;
}

/** The one factory for Redis connections. */
export function createRedis({ url, keyPrefix, connectionName, subscriber = false }: RedisOptions): Redis {
  return new Redis(url, {
    ...(keyPrefix ? { keyPrefix } : {}),
    ...(connectionName && !subscriber ? { connectionName } : {}),
    maxRetriesPerRequest: 2,
    enableReadyCheck: !subscriber,
    disableClientInfo: subscriber,
    // Reconnect with capped back-off; callers see errors instead of hanging forever.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}

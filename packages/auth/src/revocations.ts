import { createRedis, type Redis } from '@voiceassist/redis';

/**
 * Revoked session ids, kept for as long as an access token of theirs can live. Every verifier
 * checks it on every request, so a revoked session is refused at once everywhere.
 */
export interface SessionRevocations {
  revoke(sessionId: string, ttlSeconds: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
  close(): Promise<void>;
}

const inProcessLists = new Map<string, Map<string, number>>();

/** Shared per namespace within a process, so identity and router started together agree. */
export function createInProcessRevocations(namespace = 'default'): SessionRevocations {
  let revoked = inProcessLists.get(namespace);
  if (!revoked) inProcessLists.set(namespace, (revoked = new Map()));
  const list = revoked;
  return {
    async revoke(sessionId, ttlSeconds) {
      const now = Date.now();
      for (const [id, until] of list) if (until <= now) list.delete(id);
      list.set(sessionId, now + ttlSeconds * 1000);
    },
    async isRevoked(sessionId) {
      const until = list.get(sessionId);
      return until !== undefined && until > Date.now();
    },
    async close() {},
  };
}

export function createRedisRevocations(redis: Redis, ownsConnection = false): SessionRevocations {
  return {
    async revoke(sessionId, ttlSeconds) {
      await redis.set(`revoked-session:${sessionId}`, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)));
    },
    async isRevoked(sessionId) {
      return (await redis.exists(`revoked-session:${sessionId}`)) === 1;
    },
    async close() {
      if (ownsConnection) await redis.quit();
    },
  };
}

export function createSessionRevocations(options: { redisUrl?: string | undefined; namespace?: string }): SessionRevocations {
  if (!options.redisUrl) return createInProcessRevocations(options.namespace);
  const redis = createRedis({ url: options.redisUrl, keyPrefix: options.namespace ? `${options.namespace}:` : '', connectionName: 'revocations' });
  return createRedisRevocations(redis, true);
}

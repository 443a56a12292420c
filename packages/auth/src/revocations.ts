import { createRedis, type Redis } from '@voiceassist/redis';

type RevokedListener = (sessionId: string) => void;

/**
 * Revoked session ids, kept for as long as an access token of theirs can live. Every verifier
 * checks it on every request, and long-lived connections (subscriptions) listen for revocations,
 * so a revoked session is refused at once everywhere.
 */
export interface SessionRevocations {
  revoke(sessionId: string, ttlSeconds: number): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
  /** Called for every session revoked from now on, by any instance; returns an unsubscribe. */
  onRevoked(listener: RevokedListener): () => void;
  close(): Promise<void>;
}

interface InProcessList {
  revoked: Map<string, number>;
  listeners: Set<RevokedListener>;
}

const inProcessLists = new Map<string, InProcessList>();

/** Shared per namespace within a process, so identity and router started together agree. */
export function createInProcessRevocations(namespace = 'default'): SessionRevocations {
  let list = inProcessLists.get(namespace);
  if (!list) inProcessLists.set(namespace, (list = { revoked: new Map(), listeners: new Set() }));
  const { revoked, listeners } = list;
  return {
    async revoke(sessionId, ttlSeconds) {
      const now = Date.now();
      for (const [id, until] of revoked) if (until <= now) revoked.delete(id);
      revoked.set(sessionId, now + ttlSeconds * 1000);
      for (const listener of listeners) listener(sessionId);
    },
    async isRevoked(sessionId) {
      const until = revoked.get(sessionId);
      return until !== undefined && until > Date.now();
    },
    onRevoked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {},
  };
}

export function createRedisRevocations(options: { url: string; namespace?: string | undefined }): SessionRevocations {
  const prefix = options.namespace ? `${options.namespace}:` : '';
  const channel = `${prefix}revoked-sessions`;
  const redis: Redis = createRedis({ url: options.url, keyPrefix: prefix, connectionName: 'revocations' });
  let subscriber: Redis | undefined;
  const listeners = new Set<RevokedListener>();
  return {
    async revoke(sessionId, ttlSeconds) {
      await redis.set(`revoked-session:${sessionId}`, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)));
      await redis.publish(channel, sessionId);
    },
    async isRevoked(sessionId) {
      return (await redis.exists(`revoked-session:${sessionId}`)) === 1;
    },
    onRevoked(listener) {
      if (!subscriber) {
        subscriber = createRedis({ url: options.url, subscriber: true });
        subscriber.on('message', (_channel: string, sessionId: string) => {
          for (const l of listeners) l(sessionId);
        });
        void subscriber.subscribe(channel).catch(() => {});
      }
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      await Promise.allSettled([redis.quit(), subscriber?.quit()]);
    },
  };
}

export function createSessionRevocations(options: { redisUrl?: string | undefined; namespace?: string | undefined }): SessionRevocations {
  return options.redisUrl ? createRedisRevocations({ url: options.redisUrl, namespace: options.namespace }) : createInProcessRevocations(options.namespace);
}

import { createRedis, type Redis } from '@voiceassist/redis';

/** A revoked session, refused until `keepUntil` (ms since epoch): by then every access token of it has expired. */
export interface Revocation {
  sessionId: string;
  keepUntil: number;
}

/** What the source of truth answers: revocations still kept (revoked at or after `since`, if given), as of its clock. */
export interface RevocationSnapshot {
  asOf: number;
  revocations: Revocation[];
}

/** Identity's PostgreSQL (for identity itself) or identity's HTTP route (for everyone else). */
export type RevocationSource = (since: number | undefined) => Promise<RevocationSnapshot>;

export interface RevocationsStatus {
  /** False until the first successful sync from the source of truth; tokens are refused meanwhile. */
  synced: boolean;
  lastSyncAt: Date | undefined;
  /** The last sync failed; the set is as of lastSyncAt, plus what pub/sub delivered since. */
  syncFailing: boolean;
  /** Whether pub/sub is connected both ways (always true in-process). */
  feedConnected: boolean;
  size: number;
}

type RevokedListener = (sessionId: string) => void;

/**
 * The revoked sessions every verifier refuses, held in memory by each instance: `isRevoked`
 * costs no round trip, and neither a Redis outage nor a flush can bring a session back.
 * Revocations arrive by pub/sub at once, and from the source of truth on start, whenever the
 * pub/sub connection (re)connects, and periodically, so what a Redis outage hid is learnt anyway.
 */
export interface SessionRevocations {
  /**
   * Refuses the session here at once and tells every other instance, best effort: the caller
   * has recorded it in the source of truth first, so an instance the message misses learns it
   * at its next sync. Never throws for an unreachable Redis.
   */
  revoke(sessionId: string, ttlSeconds: number): Promise<void>;
  isRevoked(sessionId: string): boolean;
  /** Called once for every session newly revoked from now on, however it was learnt; returns an unsubscribe. */
  onRevoked(listener: RevokedListener): () => void;
  status(): RevocationsStatus;
  /**
   * For /health detail: throws until the first sync. An instance that does not know the revoked
   * sessions yet refuses every token (UNAUTHENTICATED) but stays ready: readiness never waits on
   * identity. Once synced it stays synced through failed syncs (pub/sub still feeds it, and nobody
   * can revoke while identity is away).
   */
  checkSynced(): Promise<void>;
  /** Resolves once synced, or after `timeoutMs` (then still unsynced). */
  whenSynced(timeoutMs: number): Promise<boolean>;
  /** Syncs from the source now (also what reconnects and the timer do). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Structural, so pino's logger fits and this package needs no logging dependency. */
export interface RevocationsLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface RevocationSync {
  source: RevocationSource;
  /** Time between periodic syncs once synced. */
  intervalMs: number;
  /** Time between attempts until the first sync succeeds. */
  retryMs?: number;
}

export interface SessionRevocationsOptions {
  /** Pub/sub over Redis when set; in-process (shared per namespace) otherwise. */
  redisUrl?: string | undefined;
  namespace?: string | undefined;
  /** Without one (tests, a lone process), the set starts synced and learns by pub/sub only. */
  sync?: RevocationSync | undefined;
  logger?: RevocationsLogger | undefined;
}

/** Periodic syncs ask for what was revoked since the previous one, minus this much: a revoking transaction commits after it stamps revoked_at. */
const SYNC_OVERLAP_MS = 120_000;
const DEFAULT_RETRY_MS = 2_000;
const READINESS_WAIT_MS = 1_000;

const silentLogger: RevocationsLogger = { info() {}, warn() {} };

/** Carries revocations between the instances sharing a namespace. */
interface RevocationFeed {
  publish(revocations: Revocation[]): Promise<void>;
  connected(): boolean;
  close(): Promise<void>;
}

interface FeedHooks {
  deliver(revocations: Revocation[]): void;
  /** The feed (re)connected: messages sent while it was away are lost, so resync. */
  reconnected(): void;
}

const inProcessFeeds = new Map<string, Set<FeedHooks>>();

function inProcessFeed(namespace: string, hooks: FeedHooks): RevocationFeed {
  let members = inProcessFeeds.get(namespace);
  if (!members) inProcessFeeds.set(namespace, (members = new Set()));
  const shared = members;
  shared.add(hooks);
  return {
    async publish(revocations) {
      for (const member of shared) member.deliver(revocations);
    },
    connected: () => true,
    async close() {
      shared.delete(hooks);
      if (shared.size === 0) inProcessFeeds.delete(namespace);
    },
  };
}

function parseMessage(message: string): Revocation[] {
  try {
    const parsed: unknown = JSON.parse(message);
    return Array.isArray(parsed) ? parsed.filter(isRevocation) : [];
  } catch {
    return [];
  }
}

function isRevocation(value: unknown): value is Revocation {
  const candidate = value as Partial<Revocation> | null;
  return typeof candidate?.sessionId === 'string' && typeof candidate.keepUntil === 'number' && Number.isFinite(candidate.keepUntil);
}

function redisFeed(url: string, namespace: string | undefined, hooks: FeedHooks, logger: RevocationsLogger): RevocationFeed {
  const channel = `${namespace ? `${namespace}:` : ''}revoked-sessions`;
  const publisher: Redis = createRedis({ url, connectionName: 'revocations' });
  const subscriber: Redis = createRedis({ url, subscriber: true });
  // Outages are reported once per transition below; ioredis would otherwise print every retry.
  publisher.on('error', () => {});
  subscriber.on('error', () => {});
  let subscribed = false;
  let publishFailing = false;
  subscriber.on('message', (from: string, message: string) => {
    if (from === channel) hooks.deliver(parseMessage(message));
  });
  subscriber.on('ready', () => {
    // Resubscribed by ioredis on every reconnect; only then is nothing published lost to us.
    subscriber.subscribe(channel).then(
      () => {
        if (!subscribed) logger.info({ channel }, 'revocation feed connected');
        subscribed = true;
        hooks.reconnected();
      },
      () => {},
    );
  });
  let closing = false;
  subscriber.on('close', () => {
    if (subscribed && !closing) logger.warn({ channel }, 'revocation feed lost; checking revocations from memory and resyncing from identity');
    subscribed = false;
  });
  return {
    async publish(revocations) {
      try {
        // Not while disconnected: queued commands would hold the revoking request for seconds.
        if (publisher.status !== 'ready') throw new Error(`redis ${publisher.status}`);
        await publisher.publish(channel, JSON.stringify(revocations));
        if (publishFailing) logger.info({ channel }, 'revocations are published again');
        publishFailing = false;
      } catch {
        if (!publishFailing) logger.warn({ channel }, 'revocations cannot be published; other instances learn them at their next sync');
        publishFailing = true;
      }
    },
    connected: () => subscribed && publisher.status === 'ready',
    async close() {
      closing = true;
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}

export function createSessionRevocations(options: SessionRevocationsOptions = {}): SessionRevocations {
  const logger = options.logger ?? silentLogger;
  const sync = options.sync;
  const revoked = new Map<string, number>();
  const listeners = new Set<RevokedListener>();
  let synced = !sync;
  let lastSyncAt: Date | undefined;
  let syncFailing = false;
  /** The source's clock at the last sync; the next periodic one asks for what came since. */
  let cursor: number | undefined;
  let fullSyncWanted = true;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const syncWaiters = new Set<() => void>();

  function apply(revocations: Revocation[]) {
    const now = Date.now();
    for (const { sessionId, keepUntil } of revocations) {
      if (keepUntil <= now) continue;
      const known = revoked.get(sessionId);
      revoked.set(sessionId, Math.max(known ?? 0, keepUntil));
      if (known === undefined || known <= now) for (const listener of listeners) listener(sessionId);
    }
  }

  function prune() {
    const now = Date.now();
    for (const [sessionId, until] of revoked) if (until <= now) revoked.delete(sessionId);
  }

  async function syncOnce(source: RevocationSource) {
    const full = fullSyncWanted || cursor === undefined;
    fullSyncWanted = false;
    try {
      const snapshot = await source(full ? undefined : cursor! - SYNC_OVERLAP_MS);
      apply(snapshot.revocations);
      prune();
      cursor = snapshot.asOf;
      lastSyncAt = new Date();
      if (!synced) logger.info({ revoked: revoked.size }, 'revocations synced');
      else if (syncFailing) logger.info({ revoked: revoked.size }, 'revocations sync recovered');
      synced = true;
      syncFailing = false;
      for (const resolve of syncWaiters) resolve();
      syncWaiters.clear();
    } catch (error) {
      if (full) fullSyncWanted = true;
      if (!syncFailing) {
        logger.warn({ err: { message: error instanceof Error ? error.message : String(error) }, synced }, 'revocations sync failed; retrying');
      }
      syncFailing = true;
    }
  }

  function runSync(full: boolean): Promise<void> {
    if (!sync || closed) return Promise.resolve();
    if (full) fullSyncWanted = true;
    if (running) {
      // Whatever is running may have read the source before this was asked for.
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await syncOnce(sync.source);
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
      schedule();
    });
    return running;
  }

  function schedule() {
    if (!sync || closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void runSync(false), synced ? sync.intervalMs : (sync.retryMs ?? DEFAULT_RETRY_MS));
    timer.unref();
  }

  function whenSynced(timeoutMs: number): Promise<boolean> {
    if (synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timeout);
        syncWaiters.delete(done);
        resolve(synced);
      };
      const timeout = setTimeout(done, timeoutMs);
      syncWaiters.add(done);
    });
  }

  const hooks: FeedHooks = { deliver: apply, reconnected: () => void runSync(true) };
  const feed = options.redisUrl ? redisFeed(options.redisUrl, options.namespace, hooks, logger) : inProcessFeed(options.namespace ?? 'default', hooks);
  void runSync(true);

  return {
    async revoke(sessionId, ttlSeconds) {
      const revocation = { sessionId, keepUntil: Date.now() + ttlSeconds * 1000 };
      apply([revocation]);
      await feed.publish([revocation]);
    },
    isRevoked(sessionId) {
      const until = revoked.get(sessionId);
      return until !== undefined && until > Date.now();
    },
    onRevoked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    status: () => ({ synced, lastSyncAt, syncFailing, feedConnected: feed.connected(), size: revoked.size }),
    async checkSynced() {
      // A probe racing the first sync at start waits for it a moment.
      if (!(await whenSynced(READINESS_WAIT_MS))) throw new Error('revoked sessions not synced yet');
    },
    whenSynced,
    sync: () => runSync(true),
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const resolve of syncWaiters) resolve();
      await feed.close();
    },
  };
}

/** A set fed by pub/sub only (tests, one process); shared per namespace within the process. */
export function createInProcessRevocations(namespace = 'default'): SessionRevocations {
  return createSessionRevocations({ namespace });
}

/** Identity serves its revocations here, on its own HTTP port. */
export const REVOCATIONS_PATH = '/revocations';

/** Reads identity's revocations route. */
export function httpRevocationSource(url: string, timeoutMs = 3_000): RevocationSource {
  return async (since) => {
    const target = new URL(url);
    if (since !== undefined) target.searchParams.set('since', String(Math.floor(since)));
    const response = await fetch(target, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`revocations answered HTTP ${response.status}`);
    const body = (await response.json()) as Partial<RevocationSnapshot> | null;
    if (typeof body?.asOf !== 'number' || !Array.isArray(body.revocations)) throw new Error('revocations answered an unexpected body');
    return { asOf: body.asOf, revocations: body.revocations.filter(isRevocation) };
  };
}

/** The settings every verifying service reads (commonEnvShape). */
export interface RevocationSettings {
  JWKS_URL: string;
  REVOCATIONS_URL?: string | undefined;
  REVOCATIONS_SYNC_INTERVAL_MS: number;
}

/** Syncing from identity's route: REVOCATIONS_URL, else the route beside identity's JWKS. */
export function syncFromIdentity(settings: RevocationSettings): RevocationSync {
  const url = settings.REVOCATIONS_URL ?? new URL(REVOCATIONS_PATH, settings.JWKS_URL).href;
  return { source: httpRevocationSource(url), intervalMs: settings.REVOCATIONS_SYNC_INTERVAL_MS };
}

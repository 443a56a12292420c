import type { Logger } from '@voiceassist/logging';
import type { PubSub } from '@voiceassist/pubsub';

/**
 * Erasure of a deleted person across the supergraph (issue 25). Identity owns the deletion and
 * keeps a durable record of it (its outbox, served as a feed); each subgraph erases what it holds
 * when told and confirms on pub/sub. Pub/sub only makes it fast: the feed is what makes it happen.
 */

/** Identity publishes `UserErasedEvent` here after the deletion has committed. */
export const USER_ERASED_TOPIC = 'identity.user-erased';
/** Each subgraph publishes `ErasureConfirmation` here once it has erased a person. */
export const ERASURE_CONFIRMED_TOPIC = 'identity.user-erasure-confirmed';
/** Identity serves the feed here, on its own HTTP port beside `/revocations`. */
export const ERASURES_PATH = '/erasures';
export const DEFAULT_ERASURE_SYNC_INTERVAL_MS = 60_000;

export interface UserErasedEvent {
  userId: string;
  /** Milliseconds since the epoch. */
  requestedAt: number;
}

export interface ErasureConfirmation {
  userId: string;
  /** The confirming subgraph's name, e.g. `conversation`. */
  subgraph: string;
  /** Milliseconds since the epoch. */
  erasedAt: number;
}

export interface ErasureFeedEntry {
  userId: string;
  /** Milliseconds since the epoch. */
  requestedAt: number;
  /** Subgraphs whose confirmation identity has recorded. */
  confirmedBy: string[];
}

/** `GET /erasures?since=<ms>`: the body identity answers. */
export interface ErasureFeed {
  /** Identity's clock when it read the list; the next `since`. */
  asOf: number;
  erasures: ErasureFeedEntry[];
}

/**
 * Reads the feed. Without `since`: every erasure identity has recorded. With it: those requested
 * at or after it, and every erasure not yet confirmed by all subgraphs whenever it was requested.
 */
export type ErasureSource = (since?: number) => Promise<ErasureFeed>;

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

export function isUserErasedEvent(value: unknown): value is UserErasedEvent {
  const v = value as Partial<UserErasedEvent> | null;
  return typeof v === 'object' && v !== null && isString(v.userId) && isTime(v.requestedAt);
}

export function isErasureConfirmation(value: unknown): value is ErasureConfirmation {
  const v = value as Partial<ErasureConfirmation> | null;
  return typeof v === 'object' && v !== null && isString(v.userId) && isString(v.subgraph) && isTime(v.erasedAt);
}

function isFeedEntry(value: unknown): value is ErasureFeedEntry {
  const v = value as Partial<ErasureFeedEntry> | null;
  return typeof v === 'object' && v !== null && isString(v.userId) && isTime(v.requestedAt) && Array.isArray(v.confirmedBy) && v.confirmedBy.every(isString);
}

/** Reads identity's `/erasures` route. */
export function httpErasureSource(url: string, timeoutMs = 3_000): ErasureSource {
  return async (since) => {
    const target = new URL(url);
    if (since !== undefined) target.searchParams.set('since', String(Math.floor(since)));
    const response = await fetch(target, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`erasures answered HTTP ${response.status}`);
    const body = (await response.json()) as Partial<ErasureFeed> | null;
    if (!isTime(body?.asOf) || !Array.isArray(body.erasures)) throw new Error('erasures answered an unexpected body');
    return { asOf: body.asOf, erasures: body.erasures.filter(isFeedEntry) };
  };
}

/** The settings every subgraph reads (commonEnvShape in @voiceassist/env). */
export interface ErasureSettings {
  JWKS_URL: string;
  ERASURES_URL?: string | undefined;
  ERASURE_SYNC_INTERVAL_MS: number;
}

/** ERASURES_URL, else `/erasures` at JWKS_URL's origin (identity's port), like REVOCATIONS_URL. */
export function erasuresUrl(settings: Pick<ErasureSettings, 'JWKS_URL' | 'ERASURES_URL'>): string {
  return settings.ERASURES_URL ?? new URL(ERASURES_PATH, settings.JWKS_URL).href;
}

/** `source` and `intervalMs` for startErasureConsumer, from a subgraph's settings. */
export function erasuresFromIdentity(settings: ErasureSettings): { source: ErasureSource; intervalMs: number } {
  return { source: httpErasureSource(erasuresUrl(settings)), intervalMs: settings.ERASURE_SYNC_INTERVAL_MS };
}

export interface ErasureConsumerOptions {
  /** This subgraph's name, as it confirms and as identity lists it in ERASURE_SUBGRAPHS. */
  subgraph: string;
  pubsub: PubSub;
  /** httpErasureSource(url) in services; any function in tests. */
  source: ErasureSource;
  /** Removes everything this subgraph holds about the person; must be idempotent. */
  erase: (userId: string) => Promise<void>;
  /** Whether this subgraph has already erased the person (its `erased_users` table). */
  isErased: (userId: string) => Promise<boolean>;
  /** Records the erasure (after `erase` succeeded), so it is not repeated. */
  markErased: (userId: string, at: Date) => Promise<void>;
  logger: Logger;
  /** Periodic re-read of the feed; default 60 s (ERASURE_SYNC_INTERVAL_MS). */
  intervalMs?: number;
  /** Next pass after a failed read of the feed or a failed erasure; default the smaller of 5 s and intervalMs. */
  retryMs?: number;
}

/** What one pass over the feed did, by user id. */
export interface ErasureSyncReport {
  /** Erased in this pass. */
  erased: string[];
  /** Confirmations published in this pass (erased now, or a confirmation identity had not recorded). */
  confirmed: string[];
  /** Erasures that failed here; retried on the next pass. */
  failed: string[];
}

export interface ErasureConsumerStatus {
  /** At least one full pass over the feed has succeeded. */
  synced: boolean;
  lastSyncAt: number | null;
  /** The last read of the feed failed. */
  failing: boolean;
}

export interface ErasureConsumer {
  /** A pass over the feed now (after the running one, if any); rejects when the feed cannot be read. */
  sync(): Promise<ErasureSyncReport>;
  status(): ErasureConsumerStatus;
  /** Stops listening and the timer; waits for the running pass. */
  close(): Promise<void>;
}

/**
 * Later passes ask for erasures since the previous answer's `asOf` minus this, so a deletion
 * whose transaction committed just after identity read its list is still in the next answer
 * (unconfirmed ones are always in it anyway; this covers replicas with skewed clocks).
 */
const SINCE_OVERLAP_MS = 60_000;

/**
 * Erases people deleted in identity from this subgraph, at least once: at start, every
 * `intervalMs`, and whenever identity announces a deletion on pub/sub. An announcement only
 * triggers a read of identity's feed: a message on Redis alone never destroys anyone's data.
 * Confirms each erasure on pub/sub, again on every pass until identity has recorded it.
 * Logs ids, counts and timings only.
 */
export function startErasureConsumer(options: ErasureConsumerOptions): ErasureConsumer {
  const { subgraph, pubsub, source, erase, isErased, markErased, logger } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_ERASURE_SYNC_INTERVAL_MS;
  const retryMs = options.retryMs ?? Math.min(5_000, intervalMs);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  // Until a full pass has succeeded, every pass reads the whole feed (catch-up at start).
  let nextSince: number | undefined;
  let fullPassDone = false;
  let lastSyncAt: number | null = null;
  let failing = false;

  const pass = async (): Promise<ErasureSyncReport> => {
    const started = performance.now();
    const report: ErasureSyncReport = { erased: [], confirmed: [], failed: [] };
    let feed: ErasureFeed;
    try {
      feed = await source(fullPassDone ? nextSince : undefined);
    } catch (error) {
      if (!failing) logger.warn({ subgraph, err: error }, 'erasure feed unreachable; retrying');
      failing = true;
      throw error;
    }
    if (failing) logger.info({ subgraph }, 'erasure feed reachable again');
    failing = false;
    for (const entry of feed.erasures) {
      if (closed) break;
      try {
        if (!(await isErased(entry.userId))) {
          await erase(entry.userId);
          await markErased(entry.userId, new Date());
          report.erased.push(entry.userId);
        }
        if (!entry.confirmedBy.includes(subgraph)) {
          const confirmation: ErasureConfirmation = { userId: entry.userId, subgraph, erasedAt: Date.now() };
          await pubsub.publish(ERASURE_CONFIRMED_TOPIC, confirmation);
          report.confirmed.push(entry.userId);
        }
      } catch (error) {
        report.failed.push(entry.userId);
        logger.error({ subgraph, userId: entry.userId, err: error }, 'erasure failed; retried on the next pass');
      }
    }
    // A failed erasure is read again from the same point; unconfirmed ones come back anyway.
    if (report.failed.length === 0) {
      nextSince = Math.max(0, feed.asOf - SINCE_OVERLAP_MS);
      fullPassDone = true;
    }
    lastSyncAt = Date.now();
    if (report.erased.length > 0 || report.failed.length > 0) {
      logger.info(
        { subgraph, erased: report.erased, failed: report.failed, confirmed: report.confirmed.length, listed: feed.erasures.length, ms: Math.round(performance.now() - started) },
        'erasure pass',
      );
    }
    return report;
  };

  // One pass at a time; requests arriving during a pass share the one pass after it.
  let running: Promise<unknown> = Promise.resolve();
  let queued: Promise<ErasureSyncReport> | undefined;
  const sync = (): Promise<ErasureSyncReport> => {
    if (queued) return queued;
    const next = running.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      queued = undefined;
      return pass();
    });
    queued = next;
    running = next;
    return next;
  };

  const schedule = (delayMs: number) => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void background(), delayMs);
    timer.unref();
  };
  const background = async () => {
    try {
      const report = await sync();
      schedule(report.failed.length > 0 ? retryMs : intervalMs);
    } catch {
      schedule(retryMs);
    }
  };

  const announcements = pubsub.subscribe<unknown>(USER_ERASED_TOPIC);
  const listening = (async () => {
    for await (const event of announcements) {
      if (closed) break;
      if (isUserErasedEvent(event)) void background();
    }
  })();
  void background();

  return {
    sync,
    status: () => ({ synced: fullPassDone, lastSyncAt, failing }),
    async close() {
      closed = true;
      clearTimeout(timer);
      await announcements.return?.();
      await listening;
      await running.catch(() => undefined);
    },
  };
}

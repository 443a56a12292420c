import type { Logger } from '@voiceassist/logging';
import type { PubSub } from '@voiceassist/pubsub';
import type { FlagChangeRecord, FlagStore } from './store.js';

/** The pub/sub topic every replica publishes its committed changes on. */
export const FLAG_CHANGES_TOPIC = 'flags.changes';

/** What the feed hands its listeners: each change once, in version order, or a reset when history could not fill a gap. */
export type FeedItem = { type: 'change'; change: FlagChangeRecord } | { type: 'reset'; version: number };

export interface ChangeFeed {
  /** The last version delivered to listeners. */
  readonly version: number;
  /** Hands a change this replica has just committed to local listeners at once; its pub/sub echo is dropped. */
  offer(change: FlagChangeRecord): void;
  /** Listeners are called synchronously, in version order. Returns the removal function. */
  add(listener: (item: FeedItem) => void): () => void;
  readonly listenerCount: number;
  close(): Promise<void>;
}

export interface ChangeFeedOptions {
  store: FlagStore;
  pubsub: PubSub;
  logger: Logger;
  /** How often the feed checks the database for changes pub/sub did not bring (a lost message, a Redis blip). */
  pollIntervalMs?: number;
}

/**
 * One per replica: turns pub/sub messages (which may arrive late, twice, out of order or not at
 * all) into a gapless, ordered stream of changes. Versions are gapless and commit in order, so
 * a change ahead of the next expected version means the ones between are committed: the feed
 * reads them from history first. Every subscriber of this replica listens to this one feed.
 */
export async function startChangeFeed(options: ChangeFeedOptions): Promise<ChangeFeed> {
  const { store, pubsub, logger } = options;
  // Subscribe before any await: a Redis SUBSCRIBE sent while the new connection is still in its
  // handshake trips ioredis's ready check; queued now, it goes out once the connection is ready.
  // Messages that arrive meanwhile wait in the subscription and are de-duplicated by version.
  const subscription = pubsub.subscribe<FlagChangeRecord>(FLAG_CHANGES_TOPIC);
  const listeners = new Set<(item: FeedItem) => void>();
  let last = await store.currentVersion();
  let chain: Promise<void> = Promise.resolve();
  let pollQueued = false;
  let closed = false;

  const emit = (item: FeedItem) => {
    for (const listener of listeners) {
      try {
        listener(item);
      } catch (error) {
        logger.error({ err: error }, 'flag change listener failed');
      }
    }
  };
  const deliver = (change: FlagChangeRecord) => {
    last = change.version;
    emit({ type: 'change', change });
  };
  const reset = (version: number) => {
    logger.warn({ from: last, to: version }, 'flag history no longer covers a gap; subscribers get a snapshot');
    last = version;
    emit({ type: 'reset', version });
  };

  /** Delivers every stored change up to `upTo` (the current version when omitted). */
  const catchUp = async (upTo?: number) => {
    const target = upTo ?? (await store.currentVersion());
    if (target <= last) return;
    for (const change of await store.changesBetween(last, target)) {
      if (change.version !== last + 1) break;
      deliver(change);
    }
    if (last < target) reset(target);
  };

  const enqueue = (task: () => Promise<void>) => {
    chain = chain.then(task).catch((error: unknown) => logger.error({ err: error }, 'flag change feed could not read history; will retry'));
  };

  const offer = (change: FlagChangeRecord) =>
    enqueue(async () => {
      if (change.version <= last) return;
      if (change.version > last + 1) await catchUp(change.version - 1);
      if (change.version === last + 1) deliver(change);
    });

  const consuming = (async () => {
    for await (const change of subscription) offer(change);
  })().catch((error: unknown) => logger.error({ err: error }, 'flag change subscription ended'));

  const poll = setInterval(() => {
    if (pollQueued || closed) return;
    pollQueued = true;
    enqueue(async () => {
      pollQueued = false;
      await catchUp();
    });
  }, options.pollIntervalMs ?? 1_000);
  poll.unref();

  return {
    get version() {
      return last;
    },
    offer,
    add(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get listenerCount() {
      return listeners.size;
    },
    async close() {
      closed = true;
      clearInterval(poll);
      await subscription.return?.();
      await consuming;
      await chain;
      listeners.clear();
    },
  };
}

import type { Logger } from '@voiceassist/logging';
import { createEventQueue } from '@voiceassist/pubsub';
import type { ChangeFeed, FeedItem } from './change-feed.js';
import type { FlagChangeRecord, FlagSnapshot, FlagStore } from './store.js';

/** What one stream yields, before any per-subscriber visibility or evaluation. */
export type StreamItem =
  | { type: 'snapshot'; snapshot: FlagSnapshot }
  | { type: 'change'; change: FlagChangeRecord }
  /** The stream cannot go on (the database failed mid-stream); consumers end with this error. */
  | { type: 'error'; error: unknown };

/**
 * Opens change streams: a snapshot (or, after `afterVersion`, the missed changes) and then every
 * later change, each exactly once. The stream listens to the feed before it reads the database,
 * so nothing committed in between is lost, and drops what its initial read already covered.
 */
export function createChangeStreams(store: FlagStore, feed: ChangeFeed, logger: Logger) {
  return {
    async open(afterVersion?: number): Promise<AsyncIterableIterator<StreamItem>> {
      let covered = -1;
      let live = false;
      const early: FeedItem[] = [];
      let chain: Promise<void> = Promise.resolve();
      const out = createEventQueue<StreamItem>(() => remove());

      const handle = async (item: FeedItem) => {
        if (item.type === 'reset') {
          try {
            const snapshot = await store.snapshot();
            covered = snapshot.version;
            out.push({ type: 'snapshot', snapshot });
          } catch (error) {
            logger.error({ err: error }, 'flag stream could not re-read a snapshot');
            out.push({ type: 'error', error });
          }
          return;
        }
        if (item.change.version <= covered) return;
        covered = item.change.version;
        out.push(item);
      };
      const remove = feed.add((item) => {
        if (!live) early.push(item);
        else chain = chain.then(() => handle(item));
      });

      try {
        const resumption = await store.resumeAfter(afterVersion);
        if (resumption.type === 'snapshot') {
          covered = resumption.snapshot.version;
          out.push({ type: 'snapshot', snapshot: resumption.snapshot });
        } else {
          covered = resumption.version;
          for (const change of resumption.changes) out.push({ type: 'change', change });
        }
      } catch (error) {
        await out.return?.();
        throw error;
      }
      live = true;
      for (const item of early.splice(0)) chain = chain.then(() => handle(item));
      return out;
    },
  };
}

export type ChangeStreams = ReturnType<typeof createChangeStreams>;

/**
 * Maps a source iterator, skipping items the mapper turns into null. Unlike an async generator,
 * return() reaches the source at once, even while a next() is waiting on it, so a closed
 * subscription releases its feed listener immediately.
 */
export function mapStream<T, U>(source: AsyncIterableIterator<T>, map: (item: T) => Promise<U | null> | U | null): AsyncIterableIterator<U> {
  const iterator: AsyncIterableIterator<U> = {
    async next(): Promise<IteratorResult<U>> {
      for (;;) {
        const result = await source.next();
        if (result.done) return { value: undefined, done: true };
        const mapped = await map(result.value);
        if (mapped !== null) return { value: mapped, done: false };
      }
    },
    async return(): Promise<IteratorResult<U>> {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown): Promise<IteratorResult<U>> {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

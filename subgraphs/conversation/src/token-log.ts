import { createInProcessPubSub, type PubSub } from '@voiceassist/pubsub';
import type { Redis } from '@voiceassist/redis';
import { runInContext, serviceTracer, startSpan, traceparentOf } from '@voiceassist/tracing';

const tracer = serviceTracer('conversation');

/** One entry of a reply's token log: a text delta, or the end (`done`, empty delta). */
export interface TokenLogEntry {
  index: number;
  delta: string;
  done: boolean;
  /** The `traceparent` of the span that logged it (while tracing): its deliveries join that trace. */
  trace?: string;
}

/** Where entries are kept: a Redis stream per message, or memory shared in this process. */
interface TokenStore {
  append(messageId: string, entry: TokenLogEntry, ttlSeconds: number): Promise<void>;
  /** Entries with index greater than `afterIndex`, in order. */
  range(messageId: string, afterIndex: number): Promise<TokenLogEntry[]>;
  exists(messageId: string): Promise<boolean>;
  expire(messageId: string, ttlSeconds: number): Promise<void>;
  delete(messageIds: readonly string[]): Promise<void>;
}

/** Published after each append, so followers need not poll; `gone` when the log was deleted. */
type Notice = TokenLogEntry | { gone: true };

/** How long a log lives if its writer dies before finishing it. */
const UNFINISHED_TTL_SECONDS = 24 * 60 * 60;

type MemoryLog = { entries: Map<number, TokenLogEntry>; timer?: NodeJS.Timeout };

const memoryStores = new Map<string, Map<string, MemoryLog>>();

/**
 * Entries by index: they may arrive out of order (a fallback takes the ones Redis refused as
 * their failures come back), and an index already there is refused, as Redis refuses it.
 */
function memoryStore(namespace: string): TokenStore {
  let logs = memoryStores.get(namespace);
  if (!logs) memoryStores.set(namespace, (logs = new Map()));
  const store = logs;
  const clear = (messageId: string) => {
    const log = store.get(messageId);
    if (log?.timer) clearTimeout(log.timer);
    store.delete(messageId);
  };
  return {
    async append(messageId, entry) {
      let log = store.get(messageId);
      if (!log) store.set(messageId, (log = { entries: new Map() }));
      if (log.entries.has(entry.index)) throw new Error(`token log entry ${entry.index} is already written`);
      log.entries.set(entry.index, entry);
    },
    async range(messageId, afterIndex) {
      return [...(store.get(messageId)?.entries.values() ?? [])].filter((e) => e.index > afterIndex).sort((a, b) => a.index - b.index);
    },
    async exists(messageId) {
      return store.has(messageId);
    },
    async expire(messageId, ttlSeconds) {
      const log = store.get(messageId);
      if (!log) return;
      if (log.timer) clearTimeout(log.timer);
      log.timer = setTimeout(() => store.delete(messageId), ttlSeconds * 1000);
      log.timer.unref();
    },
    async delete(messageIds) {
      for (const id of messageIds) clear(id);
    },
  };
}

/** Stream entry ids are `<index + 1>-0`, so a replay after index n starts at id `<n + 2>-0`. */
function redisStore(redis: Redis): TokenStore {
  const key = (messageId: string) => `conversation:tokens:${messageId}`;
  return {
    async append(messageId, entry) {
      const pipeline = redis.pipeline();
      const fields = entry.done ? ['done', '1'] : ['d', entry.delta];
      if (entry.trace) fields.push('tp', entry.trace);
      pipeline.xadd(key(messageId), `${entry.index + 1}-0`, ...fields);
      if (entry.index === 0) pipeline.expire(key(messageId), UNFINISHED_TTL_SECONDS);
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
    },
    async range(messageId, afterIndex) {
      const raw = await redis.xrange(key(messageId), `${Math.max(afterIndex + 2, 1)}-0`, '+');
      return raw.map(([id, fields]) => {
        const values = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i]!, fields[i + 1]!);
        const trace = values.get('tp');
        return { index: Number.parseInt(id, 10) - 1, delta: values.get('d') ?? '', done: values.has('done'), ...(trace ? { trace } : {}) };
      });
    },
    async exists(messageId) {
      return (await redis.exists(key(messageId))) === 1;
    },
    async expire(messageId, ttlSeconds) {
      await redis.expire(key(messageId), ttlSeconds);
    },
    async delete(messageIds) {
      if (messageIds.length) await redis.del(...messageIds.map(key));
    },
  };
}

/**
 * Redis, and this process's memory for what Redis cannot take while it is away: a reply goes on
 * being logged (and read by followers on this instance) through an outage. Once an entry of a
 * message has gone to memory, the rest of that message follows it there, so Redis never holds
 * an entry after a gap; `settle` copies them back to Redis when the reply ends, if it can.
 */
function redisWithFallback(redis: Redis, local: TokenStore): TokenStore & { settle(messageId: string): Promise<void> } {
  const remote = redisStore(redis);
  const onLocal = new Set<string>();
  const up = () => redis.status === 'ready';
  const merge = (a: TokenLogEntry[], b: TokenLogEntry[]) => {
    const byIndex = new Map([...a, ...b].map((e) => [e.index, e]));
    return [...byIndex.values()].sort((x, y) => x.index - y.index);
  };
  const remoteOr = async <T>(read: () => Promise<T>, fallback: T): Promise<T> => {
    if (!up()) return fallback;
    return read().catch(() => fallback);
  };
  return {
    async append(messageId, entry, ttlSeconds) {
      if (!onLocal.has(messageId)) {
        if (up()) {
          try {
            return await remote.append(messageId, entry, ttlSeconds);
          } catch (error) {
            // Refused by Redis itself (an index already written): not an outage.
            if (error instanceof Error && error.name === 'ReplyError') throw error;
          }
        }
        onLocal.add(messageId);
      }
      await local.append(messageId, entry, ttlSeconds);
    },
    async range(messageId, afterIndex) {
      return merge(await remoteOr(() => remote.range(messageId, afterIndex), []), await local.range(messageId, afterIndex));
    },
    async exists(messageId) {
      return (await local.exists(messageId)) || remoteOr(() => remote.exists(messageId), false);
    },
    async expire(messageId, ttlSeconds) {
      await local.expire(messageId, ttlSeconds);
      await remoteOr(() => remote.expire(messageId, ttlSeconds), undefined);
    },
    async delete(messageIds) {
      for (const id of messageIds) onLocal.delete(id);
      await local.delete(messageIds);
      await remoteOr(() => remote.delete(messageIds), undefined);
    },
    async settle(messageId) {
      if (!onLocal.has(messageId) || !up()) return;
      try {
        for (const entry of await local.range(messageId, -1)) await remote.append(messageId, entry, UNFINISHED_TTL_SECONDS);
        onLocal.delete(messageId);
      } catch {
        // Still away (or Redis holds a later entry): followers elsewhere end with the stored message.
      }
    },
  };
}

export interface TokenLogWriter {
  /**
   * Appends and publishes one delta without waiting for either: they are sent in order, so a
   * token costs the generation no round trip. A failure surfaces at the next call.
   */
  append(delta: string): void;
  /** Waits until everything appended is stored and published; throws the first failure. */
  flush(): Promise<void>;
  /** Appends the end (after what was appended) and lets the log expire after the configured time. */
  finish(): Promise<void>;
  /** The index the next delta gets: the deltas in the log, this writer's and any before it. */
  readonly count: number;
}

export interface FollowOptions {
  /**
   * Asked when nothing has arrived for a while: false once the reply is no longer being
   * generated (its writer died, or the message was deleted), which ends the follow.
   */
  stillStreaming?: () => Promise<boolean>;
  /** A quiet period after which the log is re-read, in case a notice was lost. */
  pollMs?: number;
  /** Quiet periods between `stillStreaming` checks. */
  checkEveryPolls?: number;
}

export interface TokenLog {
  /** Appends from index `from` (0; the next index when continuing a reply another generator started). */
  writer(messageId: string, from?: number): TokenLogWriter;
  /** Replays the entries after `afterIndex`, then follows live; ends after the `done` entry. */
  follow(messageId: string, afterIndex: number, options?: FollowOptions): AsyncGenerator<TokenLogEntry>;
  range(messageId: string, afterIndex: number): Promise<TokenLogEntry[]>;
  exists(messageId: string): Promise<boolean>;
  /** Ends a log whose writer is gone: appends `done` after what is there (unless already done). */
  seal(messageId: string): Promise<void>;
  /** Removes logs (deleted messages); followers end. */
  delete(messageIds: readonly string[]): Promise<void>;
}

/** Values of both iterators as they come; returning it returns both. */
function mergeIterators<T>(a: AsyncIterator<T>, b: AsyncIterator<T>): AsyncIterator<T> {
  const sources = [a, b];
  const pending = new Map<number, Promise<{ source: number; result: IteratorResult<T> }>>();
  const pull = (source: number) => pending.set(source, sources[source]!.next().then((result) => ({ source, result })));
  return {
    async next() {
      for (let i = 0; i < sources.length; i += 1) if (!pending.has(i)) pull(i);
      const { source, result } = await Promise.race(pending.values());
      pending.delete(source);
      return result;
    },
    async return() {
      await Promise.all(sources.map((s) => s.return?.()));
      return { value: undefined, done: true };
    },
  };
}

const TIMEOUT = Symbol('timeout');

function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<typeof TIMEOUT>((resolve) => (timer = setTimeout(() => resolve(TIMEOUT), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/**
 * The token log of each assistant reply: appended by the generation, read by any number of
 * subscribers on any replica, who may join late or come back with the last index they saw.
 * A Redis stream (XADD/XRANGE) plus a pub/sub notice per entry when Redis is configured;
 * memory shared in this process otherwise.
 */
export function createTokenLog(options: { redis?: Redis | undefined; pubsub: PubSub; namespace?: string | undefined; ttlSeconds: number }): TokenLog {
  const namespace = options.namespace ?? 'default';
  const store: TokenStore & { settle?(messageId: string): Promise<void> } = options.redis ? redisWithFallback(options.redis, memoryStore(`fallback:${namespace}`)) : memoryStore(namespace);
  // With Redis, notices also go round this process directly: followers here keep hearing of
  // entries while Redis (and its pub/sub) is away. They skip the copies they already had.
  const local = options.redis ? createInProcessPubSub(`token-log:${namespace}`) : undefined;
  const topic = (messageId: string) => `conversation.tokens.${messageId}`;
  const publish = async (messageId: string, notice: Notice) => {
    await local?.publish(topic(messageId), notice);
    // Followers elsewhere re-read the log when they hear nothing, so a notice lost to an outage costs only time.
    await options.pubsub.publish(topic(messageId), notice).catch(() => {});
  };
  const subscribe = (messageId: string) => {
    const remote = options.pubsub.subscribe<Notice>(topic(messageId));
    return local ? mergeIterators(remote, local.subscribe<Notice>(topic(messageId))) : remote;
  };

  const log: TokenLog = {
    writer(messageId, from = 0) {
      let next = from;
      let finished = false;
      let pending: Promise<unknown> = Promise.resolve();
      let failure: { error: unknown } | undefined;
      const write = (entry: TokenLogEntry, ttl: number) => {
        // While tracing, a span per entry in the generation's trace (sendMessage's); the entry
        // carries it, so each delivery of it to a subscriber continues that trace.
        const traced = startSpan(tracer, 'reply.token', { attributes: { 'reply.token.index': entry.index, 'reply.token.done': entry.done } });
        const logged = traced ? { ...entry, trace: traceparentOf(traced.context) } : entry;
        // Both go out now, in order on their connections; a follower that hears of an entry
        // before it can read it keeps the notice (see follow).
        let sent = runInContext(traced?.context, () => Promise.all([store.append(messageId, logged, ttl), publish(messageId, logged)])).catch((error: unknown) => {
          failure ??= { error };
        });
        if (traced) sent = sent.finally(() => traced.span.end());
        pending = Promise.all([pending, sent]);
      };
      const flush = async () => {
        await pending;
        if (failure) throw failure.error;
      };
      return {
        get count() {
          return next;
        },
        append(delta) {
          if (failure) throw failure.error;
          if (finished) throw new Error('token log already finished');
          write({ index: next, delta, done: false }, UNFINISHED_TTL_SECONDS);
          next += 1;
        },
        flush,
        async finish() {
          if (finished) return;
          finished = true;
          await flush();
          write({ index: next, delta: '', done: true }, options.ttlSeconds);
          await flush();
          await store.settle?.(messageId);
          await store.expire(messageId, options.ttlSeconds);
        },
      };
    },

    async *follow(messageId, afterIndex, followOptions = {}) {
      const pollMs = followOptions.pollMs ?? 1_000;
      const checkEvery = followOptions.checkEveryPolls ?? 3;
      // Subscribe before reading, so nothing appended in between is missed.
      const live = subscribe(messageId);
      let last = afterIndex;
      let pending: Promise<IteratorResult<Notice>> | undefined;
      let quiet = 0;
      /** Notices of entries past the next one: kept until the entries between arrive. */
      const ahead = new Map<number, TokenLogEntry>();
      /** The entries that follow `last`, in order, from the store and the notices kept. */
      const readOn = async (): Promise<TokenLogEntry[]> => {
        const out: TokenLogEntry[] = [];
        let at = last;
        for (const entry of await store.range(messageId, last)) {
          if (entry.index !== at + 1) break;
          out.push(entry);
          at = entry.index;
        }
        for (let kept = ahead.get(at + 1); kept; kept = ahead.get(at + 1)) {
          out.push(kept);
          at = kept.index;
        }
        for (const index of ahead.keys()) if (index <= at) ahead.delete(index);
        return out;
      };
      try {
        for (;;) {
          for (const entry of await readOn()) {
            last = entry.index;
            quiet = 0;
            yield entry;
            if (entry.done) return;
          }
          // Live notices until one is out of order (or nothing comes for a while): then re-read.
          for (;;) {
            pending ??= live.next();
            const result = await within(pending, pollMs);
            if (result === TIMEOUT) {
              quiet += 1;
              if (followOptions.stillStreaming && quiet % checkEvery === 0 && !(await followOptions.stillStreaming())) {
                // One last read: the writer may have finished just now.
                for (const entry of await readOn()) {
                  last = entry.index;
                  yield entry;
                  if (entry.done) return;
                }
                return;
              }
              break;
            }
            pending = undefined;
            if (result.done) return;
            const notice = result.value;
            if ('gone' in notice) return;
            if (notice.index <= last) continue;
            if (notice.index !== last + 1) {
              ahead.set(notice.index, notice);
              break;
            }
            last = notice.index;
            quiet = 0;
            yield notice;
            if (notice.done) return;
          }
        }
      } finally {
        await live.return?.();
      }
    },

    range: (messageId, afterIndex) => store.range(messageId, afterIndex),
    exists: (messageId) => store.exists(messageId),

    async seal(messageId) {
      const entries = await store.range(messageId, -1);
      if (entries.at(-1)?.done) return;
      const entry = { index: entries.length, delta: '', done: true };
      await store.append(messageId, entry, options.ttlSeconds);
      await store.expire(messageId, options.ttlSeconds);
      await publish(messageId, entry);
    },

    async delete(messageIds) {
      await store.delete(messageIds);
      await Promise.all(messageIds.map((id) => publish(id, { gone: true })));
    },
  };
  return log;
}

import type { FlagDefinition, FlagEvaluation, FlagSubject } from './definition.js';
import { evaluateFlag } from './evaluate.js';
import { createFeedParser, FEED_KEEP_ALIVE_MS, FLAGS_FEED_PATH, FLAGS_SERVICE_TOKEN_HEADER, type FeedMessage } from './feed-protocol.js';

/** pino-compatible; the client never logs the service token. */
export interface FlagsClientLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface FlagsClientOptions {
  /** The flags subgraph: its base URL or its GraphQL URL (`http://flags:4005/graphql`). */
  url: string;
  /** FLAGS_SERVICE_TOKEN shared with the flags subgraph; may be omitted only on loopback outside production. */
  serviceToken?: string | undefined;
  logger?: FlagsClientLogger | undefined;
  /** Backoff between reconnects: starts at initialDelayMs, doubles up to maxDelayMs. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long without a byte (keep-alives included) before the stream is presumed dead. */
  idleTimeoutMs?: number;
}

export interface FlagChangeNotice {
  kind: 'SNAPSHOT' | 'UPDATED' | 'DELETED';
  /** The changed flag; null for a snapshot. */
  key: string | null;
  version: number;
}

export interface FlagsClient {
  /** Resolves once every flag has been loaded; rejects after `timeoutMs` if given. */
  ready(timeoutMs?: number): Promise<void>;
  /** Whether the first snapshot has arrived. Before it every flag reads as unknown. */
  readonly loaded: boolean;
  /** The last global flag version applied (-1 before loading). */
  readonly version: number;
  /** The flag's `enabled` for this subject; `fallback` when the flag is unknown or not loaded yet. */
  isEnabled(key: string, subject?: FlagSubject, fallback?: boolean): boolean;
  /** The full evaluation, or null when the flag is unknown or not loaded yet. */
  evaluate(key: string, subject?: FlagSubject): FlagEvaluation | null;
  /** The flag's current definition, if known. */
  flag(key: string): FlagDefinition | undefined;
  /** Called after every applied snapshot or change; returns an unsubscribe function. */
  onChange(listener: (notice: FlagChangeNotice) => void): () => void;
  close(): Promise<void>;
}

class FeedHttpError extends Error {
  constructor(readonly status: number) {
    super(`flags feed answered HTTP ${status}`);
  }
}

/** The feed URL for a flags subgraph URL, resuming after `afterVersion` when known. */
export function feedUrl(url: string, afterVersion?: number): string {
  const base = new URL(url);
  base.pathname = base.pathname.replace(/\/graphql\/?$/, '').replace(/\/$/, '') + FLAGS_FEED_PATH;
  base.search = afterVersion !== undefined && afterVersion >= 0 ? `?afterVersion=${afterVersion}` : '';
  return base.toString();
}

/**
 * Loads every flag once from the flags subgraph's backend feed, follows its changes (resuming
 * from the last version after a disconnect, so nothing is missed), and evaluates in memory:
 * `isEnabled` and `evaluate` are synchronous and never touch the network.
 */
export function createFlagsClient(options: FlagsClientOptions): FlagsClient {
  const flags = new Map<string, FlagDefinition>();
  const listeners = new Set<(notice: FlagChangeNotice) => void>();
  const initialDelay = options.reconnect?.initialDelayMs ?? 250;
  const maxDelay = options.reconnect?.maxDelayMs ?? 10_000;
  const idleTimeout = options.idleTimeoutMs ?? FEED_KEEP_ALIVE_MS * 3;
  const stop = new AbortController();
  let version = -1;
  let loaded = false;
  let markLoaded: () => void = () => {};
  const loadedOnce = new Promise<void>((resolve) => (markLoaded = resolve));

  const notify = (notice: FlagChangeNotice) => {
    for (const listener of listeners) {
      try {
        listener(notice);
      } catch (error) {
        options.logger?.warn({ err: error }, 'flags client change listener failed');
      }
    }
  };

  const apply = (message: FeedMessage) => {
    if (message.event === 'snapshot') {
      flags.clear();
      for (const flag of message.data.flags) flags.set(flag.key, flag);
      version = message.data.version;
      if (!loaded) {
        loaded = true;
        markLoaded();
      }
      notify({ kind: 'SNAPSHOT', key: null, version });
      return;
    }
    const change = message.data;
    if (change.version <= version) return;
    if (change.flag) flags.set(change.key, change.flag);
    else flags.delete(change.key);
    version = change.version;
    notify({ kind: change.flag ? 'UPDATED' : 'DELETED', key: change.key, version });
  };

  /** One connection: resolves when the server ends the stream, throws on failure. */
  const follow = async (onMessage: () => void) => {
    const connection = new AbortController();
    const abort = () => connection.abort();
    stop.signal.addEventListener('abort', abort);
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new Error('flags feed idle')), idleTimeout);
    };
    try {
      touch();
      const response = await fetch(feedUrl(options.url, loaded ? version : undefined), {
        headers: { accept: 'text/event-stream', ...(options.serviceToken ? { [FLAGS_SERVICE_TOKEN_HEADER]: options.serviceToken } : {}) },
        signal: connection.signal,
      });
      if (!response.ok || !response.body) {
        await response.body?.cancel().catch(() => {});
        throw new FeedHttpError(response.status);
      }
      const parse = createFeedParser();
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        touch();
        for (const message of parse(decoder.decode(value, { stream: true }))) {
          apply(message);
          onMessage();
        }
      }
    } finally {
      clearTimeout(idle);
      stop.signal.removeEventListener('abort', abort);
    }
  };

  const running = (async () => {
    let delay = initialDelay;
    while (!stop.signal.aborted) {
      try {
        await follow(() => (delay = initialDelay));
        options.logger?.debug({ version }, 'flags feed ended; reconnecting');
      } catch (error) {
        if (stop.signal.aborted) break;
        const status = error instanceof FeedHttpError ? error.status : undefined;
        // Say why without the token: a refused token is a configuration error worth a warning.
        options.logger?.warn({ status, reason: status ? undefined : String((error as Error)?.message ?? error), retryInMs: delay }, 'flags feed unavailable');
      }
      if (stop.signal.aborted) break;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, delay);
        stop.signal.addEventListener('abort', done);
      });
      delay = Math.min(maxDelay, delay * 2);
    }
  })();

  return {
    ready(timeoutMs) {
      if (loaded || timeoutMs === undefined) return loadedOnce;
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`flags were not loaded within ${timeoutMs} ms`)), timeoutMs);
        void loadedOnce.then(() => (clearTimeout(timer), resolve()));
      });
    },
    get loaded() {
      return loaded;
    },
    get version() {
      return version;
    },
    isEnabled(key, subject = {}, fallback = false) {
      const flag = flags.get(key);
      return flag ? evaluateFlag(flag, subject).enabled : fallback;
    },
    evaluate(key, subject = {}) {
      const flag = flags.get(key);
      return flag ? evaluateFlag(flag, subject) : null;
    },
    flag: (key) => flags.get(key),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      stop.abort();
      await running;
      listeners.clear();
    },
  };
}

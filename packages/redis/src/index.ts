import { Redis, type Command } from 'ioredis';
import { SpanKind, activeSpan, libraryTracer, recordFailure, startSpan } from '@voiceassist/tracing';

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
   * Its SUBSCRIBEs wait through an outage and go out on reconnecting, so subscriptions come back.
   */
  subscriber?: boolean;
  /** The service's view of Redis this connection counts in (its own otherwise). */
  availability?: RedisAvailability;
}

/** A connection is `connecting` until it is first ready or first fails, then `up` or `down`. */
export type RedisConnectionState = 'connecting' | 'up' | 'down';

/**
 * Whether Redis is reachable over a set of connections (a service's): down while any of them is
 * lost, with one change event each way however many reconnect attempts fail in between.
 */
export class RedisAvailability {
  private readonly lost = new Set<Redis>();
  private readonly listeners = new Set<(up: boolean) => void>();
  /** Why the last connection was lost or refused (the driver's message: host and port, no secrets). */
  reason: string | undefined;

  get up(): boolean {
    return this.lost.size === 0;
  }

  /** Called once per transition; returns the removal function. */
  onChange(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal Connections report here; see createRedis. */
  report(connection: Redis, state: RedisConnectionState | 'closed') {
    const wasUp = this.up;
    if (state === 'down') this.lost.add(connection);
    else this.lost.delete(connection);
    // A connection closed on purpose (shutting down) no longer counts, but Redis did not come back.
    if (state !== 'closed' && wasUp !== this.up) for (const listener of this.listeners) listener(this.up);
  }
}

const connectionStates = new WeakMap<Redis, RedisConnectionState>();

/** What this process last saw of a connection made by createRedis. */
export function redisConnectionState(redis: Redis): RedisConnectionState {
  return connectionStates.get(redis) ?? (redis.status === 'ready' ? 'up' : 'connecting');
}

/**
 * quit() on a lost connection whose offline queue is off would be refused, leaving it to
 * reconnect for ever after its service has closed; it just stops trying instead.
 */
// Spans of the service sending the command (the parent span names it).
const tracer = libraryTracer('redis');

class ClosableRedis extends Redis {
  onClosedWhileDown = () => {};
  /** Subscribers' commands last as long as the connection: no span for them. */
  traced = true;

  /**
   * A span per command sent within a traced request: the command's name only, never keys or
   * values. Commands outside any trace (heartbeats, sweeps) would each start a trace of their own.
   */
  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    const started = this.traced && activeSpan() ? startSpan(tracer, `redis ${command.name}`, { kind: SpanKind.CLIENT, attributes: { 'db.system': 'redis', 'db.operation.name': command.name } }) : undefined;
    if (started) {
      command.promise.then(
        () => started.span.end(),
        (error: unknown) => {
          recordFailure(started.span, error);
          started.span.end();
        },
      );
    }
    return super.sendCommand(command, stream);
  }

  override quit(callback?: Parameters<Redis['quit']>[0]): ReturnType<Redis['quit']> {
    if (connectionStates.get(this) !== 'down') return super.quit(callback);
    this.disconnect();
    this.onClosedWhileDown();
    callback?.(null, 'OK');
    return Promise.resolve('OK' as const);
  }
}

/** Longest wait for a reply from a Redis that holds the connection open but does not answer. */
const COMMAND_TIMEOUT_MS = 1_000;

/**
 * The one factory for Redis connections. It reconnects for ever with capped back-off and says
 * nothing per attempt (the availability reports transitions). Commands queue only while first
 * connecting: once the connection has been lost they fail at once, so no request waits on a
 * Redis that is away (callers fall back; see rate-limit and pubsub).
 */
export function createRedis({ url, keyPrefix, connectionName, subscriber = false, availability = new RedisAvailability() }: RedisOptions): Redis {
  const redis = new ClosableRedis(url, {
    ...(keyPrefix ? { keyPrefix } : {}),
    ...(connectionName && !subscriber ? { connectionName } : {}),
    // Commands in flight when the connection drops fail then, not after more reconnects. A
    // subscriber keeps its SUBSCRIBEs queued until it is back.
    maxRetriesPerRequest: subscriber ? null : 0,
    ...(subscriber ? {} : { commandTimeout: COMMAND_TIMEOUT_MS }),
    enableReadyCheck: !subscriber,
    disableClientInfo: subscriber,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  redis.traced = !subscriber;
  const setState = (state: RedisConnectionState) => {
    connectionStates.set(redis, state);
    if (!subscriber) redis.options.enableOfflineQueue = state !== 'down';
    availability.report(redis, state);
  };
  let lastError: string | undefined;
  connectionStates.set(redis, 'connecting');
  redis.on('ready', () => {
    lastError = undefined;
    setState('up');
  });
  // 'reconnecting' follows a lost connection or a failed attempt, never a quit().
  redis.on('reconnecting', () => {
    if (connectionStates.get(redis) === 'down') return;
    availability.reason = lastError ?? 'connection lost';
    setState('down');
  });
  redis.on('end', () => availability.report(redis, 'closed'));
  redis.onClosedWhileDown = () => availability.report(redis, 'closed');
  // Each failed attempt emits an error; without a listener ioredis prints every one of them.
  redis.on('error', (error: Error) => {
    lastError = error.message;
  });
  return redis;
}

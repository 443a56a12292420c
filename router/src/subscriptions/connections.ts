import type { SessionRevocations } from '@voiceassist/auth';
import { unauthenticated } from '@voiceassist/errors';
import type { Caller, Connection, FormatErrors } from './core.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The open connections and their credentials: a connection's subscriptions end with
 * UNAUTHENTICATED when its access token expires or its session is revoked, and every later
 * operation on it is refused.
 */
export class Connections {
  readonly open = new Set<Connection>();
  readonly #stopListening: () => void;

  constructor(
    revocations: SessionRevocations,
    private readonly format: FormatErrors,
  ) {
    this.#stopListening = revocations.onRevoked((sessionId) => {
      for (const connection of this.open) {
        if (connection.viewer?.sessionId === sessionId) this.refuse(connection, 'Session has been revoked');
      }
    });
  }

  /** A client's connection, its expiry timer set. */
  add(caller: Caller, transport: Pick<Connection, 'write' | 'drop'>): Connection {
    const connection: Connection = {
      ...transport,
      ...caller,
      limitKey: caller.viewer ? `user:${caller.viewer.userId}` : `ip:${caller.ip ?? 'unknown'}`,
      subscriptions: new Set(),
      buffered: 0,
      written: () => {
        connection.buffered -= 1;
      },
      refusal: undefined,
      expiryTimer: undefined,
    };
    if (caller.viewer) {
      // No silent keep-alive past expiry.
      const expiresIn = caller.viewer.expiresAt.getTime() - Date.now();
      connection.expiryTimer = setTimeout(() => this.refuse(connection, 'Access token has expired'), Math.min(Math.max(expiresIn, 0), MAX_TIMER_MS));
      connection.expiryTimer.unref();
    }
    this.open.add(connection);
    return connection;
  }

  delete(connection: Connection): void {
    if (connection.expiryTimer) clearTimeout(connection.expiryTimer);
    this.open.delete(connection);
  }

  /** The credentials stopped being valid: its subscriptions end, later operations are refused. */
  refuse(connection: Connection, reason: string): void {
    connection.refusal = reason;
    if (connection.expiryTimer) clearTimeout(connection.expiryTimer);
    const error = JSON.stringify({ errors: this.format([unauthenticated(reason)]) });
    for (const subscription of connection.subscriptions) subscription.finish(error);
  }

  /** Ends every subscription (the router is shutting down). */
  dispose(): void {
    this.#stopListening();
    for (const connection of this.open) for (const subscription of connection.subscriptions) void subscription.return();
  }
}

import { createClient, type Client, type Sink, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export interface UpstreamRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName: string | undefined;
  /** Travels with the subscribe message, so the subgraph logs the caller's request id. */
  requestId: string;
}

interface PooledClient {
  client: Client;
  subscriptions: number;
  idleTimer?: NodeJS.Timeout | undefined;
}

/** How long an idle upstream connection stays open for the next subscription (resubscribes are common). */
const IDLE_CLOSE_MS = 500;

/**
 * graphql-ws connections from the router to subgraphs, shared by every subscription with the
 * same subgraph and the same credentials, and closed as soon as the last one ends.
 */
export class UpstreamPool {
  private readonly clients = new Map<string, PooledClient>();
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly subgraphUrls: Record<string, string>) {}

  /** Open WebSockets to subgraphs right now (tests assert none leak). */
  get openSockets(): number {
    return this.sockets.size;
  }

  subscribe(subgraph: string, authorization: string | undefined, request: UpstreamRequest, sink: Sink<ExecutionResult>): () => void {
    const key = `${subgraph}\u0000${authorization ?? ''}`;
    let pooled = this.clients.get(key);
    if (!pooled) {
      pooled = { client: this.createClient(subgraph, authorization), subscriptions: 0 };
      this.clients.set(key, pooled);
    }
    pooled.subscriptions += 1;
    clearTimeout(pooled.idleTimer);
    pooled.idleTimer = undefined;
    const entry = pooled;
    const unsubscribe = entry.client.subscribe(
      {
        query: request.query,
        variables: request.variables,
        ...(request.operationName ? { operationName: request.operationName } : {}),
        extensions: { requestId: request.requestId },
      },
      sink,
    );
    let released = false;
    return () => {
      if (released) return;
      released = true;
      unsubscribe();
      entry.subscriptions -= 1;
      if (entry.subscriptions === 0 && this.clients.get(key) === entry) {
        entry.idleTimer = setTimeout(() => {
          if (entry.subscriptions > 0 || this.clients.get(key) !== entry) return;
          this.clients.delete(key);
          void entry.client.dispose();
        }, IDLE_CLOSE_MS);
        entry.idleTimer.unref();
      }
    };
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    for (const c of clients) clearTimeout(c.idleTimer);
    await Promise.all(clients.map((c) => c.client.dispose()));
    for (const socket of this.sockets) socket.terminate();
  }

  private createClient(subgraph: string, authorization: string | undefined): Client {
    const url = this.subgraphUrls[subgraph];
    if (!url) throw new Error(`No URL for subgraph ${subgraph}`);
    const sockets = this.sockets;
    class TrackedWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols);
        sockets.add(this);
        this.once('close', () => sockets.delete(this));
      }
    }
    return createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: TrackedWebSocket,
      connectionParams: authorization ? { authorization } : {},
      lazy: true,
      // The pool decides when an idle connection closes.
      lazyCloseTimeout: 60_000,
      // A dropped subgraph connection ends its subscriptions with an error the client can act on.
      retryAttempts: 0,
      keepAlive: 15_000,
    });
  }
}

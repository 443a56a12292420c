import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import WebSocket from 'ws';

export interface UpstreamRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName: string | undefined;
  /** Travels with the subscribe message, so the subgraph logs the caller's request id. */
  requestId: string;
  /** The subscription's `traceparent` (and `tracestate`), so the subgraph's events join its trace. */
  trace?: Record<string, string>;
}

/**
 * Where one upstream subscription's messages go. `next` gets the event's payload as the JSON
 * text the subgraph sent when the message has the usual shape, else parsed. `error` gets the
 * subgraph's errors (an array) or, when the connection was lost, an Error.
 */
export interface UpstreamSink {
  next(payload: string | ExecutionResult): void;
  error(error: readonly GraphQLFormattedError[] | Error): void;
  complete(): void;
}

/** The graphql-transport-ws messages a subgraph sends to us. */
type ServerMessage =
  | { type: 'connection_ack' | 'pong' | 'ping' }
  | { type: 'next'; id: string; payload: ExecutionResult }
  | { type: 'error'; id: string; payload: readonly GraphQLFormattedError[] }
  | { type: 'complete'; id: string };

/** Whom an upstream connection speaks for: the caller's credentials and the address the router determined. */
export interface UpstreamCaller {
  authorization: string | undefined;
  /** Sent as X-Forwarded-For on the upgrade, as on HTTP fetches: subgraphs trusting the router read it. */
  ip: string | undefined;
}

/** How graphql-ws servers (ours among them) write a `next` message, up to its id and after it. */
const NEXT_START = '{"id":"';
const NEXT_AFTER_ID = '","type":"next","payload":';

/** How long an idle upstream connection stays open for the next subscription (resubscribes are common). */
const IDLE_CLOSE_MS = 500;
/** A subgraph that does not acknowledge the connection in this time is treated as down. */
const ACK_TIMEOUT_MS = 10_000;
/** Pings keep idle-but-subscribed connections alive through proxies and load balancers. */
const KEEP_ALIVE_MS = 15_000;

/**
 * One graphql-ws (graphql-transport-ws) connection to a subgraph, multiplexing every
 * subscription with the same credentials from the same address. Written for the router's hot path: an event's payload
 * handed on as text (parsed only if it needs shaping), a map lookup per event, and a few hundred
 * bytes per subscription; graphql-ws's general-purpose client kept several closures and promises
 * alive for each.
 */
class UpstreamConnection {
  readonly socket: WebSocket;
  private readonly sinks = new Map<string, UpstreamSink>();
  /** Subscribe messages waiting for connection_ack. */
  private queued: string[] | undefined = [];
  private nextId = 1;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    url: string,
    { authorization, ip }: UpstreamCaller,
    private readonly onGone: (connection: UpstreamConnection) => void,
  ) {
    this.socket = new WebSocket(url, 'graphql-transport-ws', ip ? { headers: { 'x-forwarded-for': ip } } : {});
    this.socket.on('open', () => {
      this.socket.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} }));
    });
    this.socket.on('message', (data) => this.receive(data.toString()));
    this.socket.on('close', (code, reason) => this.lose(new Error(`Upstream connection closed (${code}${reason.length ? `: ${reason.toString()}` : ''})`)));
    this.socket.on('error', (error) => this.lose(error));
    const ackTimer = setTimeout(() => {
      if (this.queued) this.socket.terminate();
    }, ACK_TIMEOUT_MS);
    const keepAlive = setInterval(() => {
      if (this.socket.readyState === WebSocket.OPEN) this.socket.send('{"type":"ping"}');
    }, KEEP_ALIVE_MS);
    ackTimer.unref();
    keepAlive.unref();
    this.timers.push(ackTimer, keepAlive);
  }

  get size(): number {
    return this.sinks.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  subscribe(request: UpstreamRequest, sink: UpstreamSink): () => void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const id = String(this.nextId++);
    this.sinks.set(id, sink);
    this.send(
      JSON.stringify({
        id,
        type: 'subscribe',
        payload: {
          query: request.query,
          variables: request.variables,
          ...(request.operationName ? { operationName: request.operationName } : {}),
          extensions: { requestId: request.requestId, ...request.trace },
        },
      }),
    );
    return () => {
      if (!this.sinks.delete(id)) return;
      this.send(`{"id":${JSON.stringify(id)},"type":"complete"}`);
      if (this.sinks.size === 0) this.closeWhenIdle();
    };
  }

  close(): void {
    if (this.closed) return;
    this.sinks.clear();
    this.retire();
    if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
    else this.socket.close(1000, 'Normal Closure');
  }

  private send(message: string) {
    if (this.closed) return;
    if (this.queued) this.queued.push(message);
    else if (this.socket.readyState === WebSocket.OPEN) this.socket.send(message);
  }

  private closeWhenIdle() {
    this.idleTimer = setTimeout(() => {
      if (this.sinks.size === 0) this.close();
    }, IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  private receive(text: string) {
    // The hot path: a `next` message in the usual shape hands on its payload's text without
    // parsing it; the router parses it only if the event needs shaping. Our ids are digits, so
    // the id ends at the first quote.
    if (text.startsWith(NEXT_START) && text.endsWith('}')) {
      const idEnd = text.indexOf('"', NEXT_START.length);
      if (idEnd > 0 && text.startsWith(NEXT_AFTER_ID, idEnd)) {
        this.sinks.get(text.slice(NEXT_START.length, idEnd))?.next(text.slice(idEnd + NEXT_AFTER_ID.length, -1));
        return;
      }
    }
    let message: ServerMessage;
    try {
      message = JSON.parse(text) as ServerMessage;
    } catch {
      this.socket.close(4400, 'Invalid message');
      return;
    }
    switch (message.type) {
      case 'next':
        this.sinks.get(message.id)?.next(message.payload);
        return;
      case 'error': {
        const sink = this.sinks.get(message.id);
        this.sinks.delete(message.id);
        sink?.error(message.payload);
        if (this.sinks.size === 0) this.closeWhenIdle();
        return;
      }
      case 'complete': {
        const sink = this.sinks.get(message.id);
        this.sinks.delete(message.id);
        sink?.complete();
        if (this.sinks.size === 0) this.closeWhenIdle();
        return;
      }
      case 'connection_ack': {
        const queued = this.queued ?? [];
        this.queued = undefined;
        for (const queuedMessage of queued) this.socket.send(queuedMessage);
        return;
      }
      case 'ping':
        this.socket.send('{"type":"pong"}');
        return;
      default:
        return;
    }
  }

  /** The connection failed or closed: every subscription on it ends with an error. */
  private lose(error: Error) {
    const sinks = [...this.sinks.values()];
    this.sinks.clear();
    if (!this.closed) this.retire();
    for (const sink of sinks) sink.error(error);
  }

  /** Stops the timers and leaves the pool; no new subscription will use this connection. */
  private retire() {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    clearTimeout(this.idleTimer);
    this.onGone(this);
  }
}

/**
 * graphql-ws connections from the router to subgraphs, shared by every subscription with the
 * same subgraph, credentials and client address, and closed as soon as the last one ends.
 */
export class UpstreamPool {
  private readonly connections = new Map<string, UpstreamConnection>();
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly subgraphUrls: Record<string, string>) {}

  /** Open WebSockets to subgraphs right now (tests assert none leak). */
  get openSockets(): number {
    return this.sockets.size;
  }

  subscribe(subgraph: string, caller: UpstreamCaller, request: UpstreamRequest, sink: UpstreamSink): () => void {
    // One connection speaks for one caller from one address.
    const key = `${subgraph}\u0000${caller.authorization ?? ''}\u0000${caller.ip ?? ''}`;
    let connection = this.connections.get(key);
    if (!connection || connection.isClosed) {
      const url = this.subgraphUrls[subgraph];
      if (!url) throw new Error(`No URL for subgraph ${subgraph}`);
      const created: UpstreamConnection = new UpstreamConnection(url.replace(/^http/, 'ws'), caller, (gone) => {
        if (this.connections.get(key) === gone) this.connections.delete(key);
      });
      const socket = created.socket;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.connections.set(key, created);
      connection = created;
    }
    return connection.subscribe(request, sink);
  }

  async close(): Promise<void> {
    const connections = [...this.connections.values()];
    this.connections.clear();
    for (const connection of connections) connection.close();
    // Sockets that do not finish the close handshake promptly are cut.
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const socket of this.sockets) socket.terminate();
  }
}

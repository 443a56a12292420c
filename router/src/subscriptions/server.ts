import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import { batchSendsPerTick } from '@voiceassist/websocket-batching';
import { SubscriptionCaps } from './caps.js';
import { Connections } from './connections.js';
import { errorFormatter, type Caller, type SubscriptionServerOptions } from './core.js';
import { DocumentCache } from './document-cache.js';
import { createEventResolver } from './event-resolution.js';
import { serveGraphqlWs } from './graphql-ws-transport.js';
import { serveHttpStream } from './http-stream-transport.js';
import type { HttpStreamTransport } from './http-transports.js';
import { SubscriptionMetrics } from './metrics.js';
import { SharedStreams } from './stream-sharing.js';
import type { SubscriptionCore } from './subscription-core.js';

export { CLOSE_SLOW_CONSUMER, CLOSE_UNAUTHORIZED, type Caller, type SubscriptionLimits, type SubscriptionServerOptions } from './core.js';

/**
 * Executes every operation that arrives over graphql-ws (or as an SSE or multipart stream) on
 * the router: subscriptions through the query planner (primary stream from the owning subgraph,
 * `rest` per event through the gateway's executor), queries and mutations through the ordinary
 * gateway pipeline. Each concern is a module of this folder; this puts them together.
 */
export function attachSubscriptionServer(options: SubscriptionServerOptions) {
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path });
  batchSendsPerTick(wsServer);
  const format = errorFormatter(options.includeStacktrace);
  const core: SubscriptionCore = {
    options,
    connections: new Connections(options.revocations, format),
    caps: new SubscriptionCaps(options.limits),
    metrics: new SubscriptionMetrics(options.registry),
    documents: new DocumentCache(),
    resolveEvent: createEventResolver(options, format),
    streams: new SharedStreams(),
    format,
  };
  const graphqlWs = serveGraphqlWs(core, wsServer);
  return {
    wsServer,
    serveHttpStream: (req: IncomingMessage, res: ServerResponse, transport: HttpStreamTransport, caller: Caller, bodyLimitBytes: number) => serveHttpStream(core, req, res, transport, caller, bodyLimitBytes),
    stats: () => ({ connections: core.connections.open.size, subscriptions: core.caps.total, upstreamSockets: options.pool.openSockets }),
    async dispose() {
      core.connections.dispose();
      for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
      await graphqlWs.dispose();
      await options.pool.close();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}

export type SubscriptionServer = ReturnType<typeof attachSubscriptionServer>;

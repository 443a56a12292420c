import type { Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { Registry } from '@voiceassist/metrics';
import type { TrustProxy } from '@voiceassist/client-address';
import type { RouterContext } from './context.js';
import type { SubscriptionEvent } from './engine/engine.js';
import type { RouterOptions } from './router-options.js';
import type { LiveSupergraph } from './supergraph-loading.js';
import { attachSubscriptionServer, type SubscriptionServer } from './subscriptions/server.js';
import { UpstreamPool } from './subscriptions/upstream.js';

export interface RouterSubscriptionsOptions {
  options: RouterOptions;
  httpServer: Server;
  supergraph: LiveSupergraph;
  apollo: ApolloServer<RouterContext>;
  started: Promise<unknown>;
  registry: Registry;
  trustProxy: TrustProxy;
}

/** The subscription server on the router's HTTP server, reading the live supergraph per use. */
export function attachRouterSubscriptions({ options, httpServer, supergraph, apollo, started, registry, trustProxy }: RouterSubscriptionsOptions): SubscriptionServer {
  return attachSubscriptionServer({
    httpServer,
    path: '/graphql',
    // Read per use: a reload swaps them (subscriptions already open keep their plans).
    get planner() {
      return supergraph.live.planner;
    },
    get edge() {
      return supergraph.live.edge;
    },
    pool: new UpstreamPool(supergraph.subgraphUrls),
    dataSources: supergraph.dataSources,
    ...(supergraph.nativeEngine ? { resolveEvent: (event: SubscriptionEvent) => supergraph.live.engine!.resolveEvent(event) } : {}),
    async executeOperation(request, context) {
      await started;
      const response = await apollo.executeOperation(
        { query: request.query, ...(request.variables ? { variables: request.variables } : {}), ...(request.operationName ? { operationName: request.operationName } : {}) },
        { contextValue: context },
      );
      if (response.body.kind === 'single') return response.body.singleResult;
      return { errors: [{ message: 'Incremental delivery is not supported over WebSocket', extensions: { code: 'BAD_USER_INPUT' } }] };
    },
    verifier: options.verifier,
    revocations: options.revocations,
    logger: options.logger,
    registry,
    includeStacktrace: options.includeStacktrace ?? false,
    trustProxy,
    limits: { maxPerUser: 100, maxTotal: 20_000, maxBufferedEvents: 1_000, ...options.subscriptionLimits },
    sharedFields: new Set(options.sharedSubscriptionFields ?? []),
    ...(options.sseKeepAliveMs ? { sseKeepAliveMs: options.sseKeepAliveMs } : {}),
  });
}

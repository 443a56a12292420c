import { createServer } from 'node:http';
import { setLibrarySwitch } from '@voiceassist/env';
import { TRUST_NOTHING } from '@voiceassist/client-address';
import { listenHttp } from '@voiceassist/http-io';
import { createMetricsServer, listenMetrics, serveServiceRequests } from '@voiceassist/service-endpoints';
import { Histogram, createMetrics, namedOperationLabel, registerDependencyGauge } from '@voiceassist/metrics';
import { createRouterApolloServer } from './apollo-server.js';
import { DEFAULT_LIMITS, type EdgeOptions } from './edge/edge.js';
import { graphqlRoute } from './graphql-route.js';
import type { Router, RouterOptions } from './router-options.js';
import { attachRouterSubscriptions } from './router-subscriptions.js';
import { registerSubgraphGauge, routerHealthChecks, watchSubgraphHealth } from './subgraph-health.js';
import { LiveSupergraph } from './supergraph-loading.js';


/**
 * The supergraph's single entry point: the live supergraph (reloadable) behind Apollo Server,
 * with the edge's protections, token verification before planning, subscriptions over
 * graphql-ws, SSE and multipart, the console and Sandbox, health, readiness and metrics. Each
 * of those is a module of its own; this puts them together and owns start and shutdown.
 */
export function createRouter(options: RouterOptions): Router {
  const { logger } = options;
  const edgeOptions: EdgeOptions = { limits: DEFAULT_LIMITS, maxBatchSize: 0, hsts: false, compress: true, ...options.edge };
  const trustProxy = options.trustProxy ?? TRUST_NOTHING;
  // Operation names are the client's to choose: only the manifest's are metric labels.
  const metrics = createMetrics('router', namedOperationLabel(edgeOptions.trustedOperations?.operationNames ?? []));
  const metricsServer = options.metricsListener ? createMetricsServer(metrics, logger) : undefined;
  const subgraphLatency = new Histogram({
    name: 'router_subgraph_fetch_duration_seconds',
    help: 'Latency of fetches from the router to each subgraph',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  const httpServer = createServer();
  // Apollo Gateway 2.14 sends host, OS and CPU facts to Apollo every hour, probing cloud
  // metadata endpoints first, unless this variable is set; it reads the switch only from the
  // environment. A clinical deployment sends nothing out unless its operator opts in.
  if (!options.apolloTelemetry) setLibrarySwitch('APOLLO_TELEMETRY_DISABLED', 'true');
  const degradable = { ...options.degradable };
  const supergraph = new LiveSupergraph({ options, edgeOptions, metrics, subgraphLatency, degradable, started: () => started });
  supergraph.watch();

  const apollo = createRouterApolloServer({ options, httpServer, gateway: supergraph.reloadable.gateway, metrics, nativeEngine: supergraph.nativeEngine, allowBatchedHttpRequests: edgeOptions.maxBatchSize > 0 });
  const started = apollo.start();
  const subgraphHealth = watchSubgraphHealth(supergraph.subgraphUrls, options.subgraphHealthIntervalMs ?? 10_000);
  registerSubgraphGauge(metrics.registry, subgraphHealth);
  const subscriptions = attachRouterSubscriptions({ options, httpServer, supergraph, apollo, started, registry: metrics.registry, trustProxy });

  registerDependencyGauge(metrics.registry, degradable);
  serveServiceRequests(httpServer, {
    service: 'router',
    logger,
    degradable,
    ...routerHealthChecks(started, subgraphHealth, options.revocations, supergraph),
    route: graphqlRoute({ options, supergraph, apollo, started, subscriptions, edgeOptions, trustProxy }),
  });

  let closing: Promise<void> | undefined;
  return {
    httpServer,
    metrics,
    subgraphUrls: supergraph.subgraphUrls,
    subscriptions,
    get supergraphHash() {
      return supergraph.live.hash;
    },
    reloadSupergraph: (sdl) => supergraph.reload(sdl),
    async listen(port, host = '0.0.0.0') {
      await started;
      const listening = await listenHttp(httpServer, port, host);
      logger.info({ url: `${listening.url}/graphql`, subgraphs: supergraph.subgraphUrls }, 'router listening');
      if (metricsServer && options.metricsListener) return { ...listening, metricsUrl: await listenMetrics(metricsServer, options.metricsListener, logger) };
      return listening;
    },
    close() {
      closing ??= (async () => {
        supergraph.close();
        subgraphHealth.stop();
        await subscriptions.dispose();
        await started.catch(() => {});
        // Stops every supergraph's gateway (the native engine's closes its subgraph pools).
        await apollo.stop();
        if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        if (metricsServer?.listening) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
        await options.onClose?.();
      })();
      return closing;
    },
  };
}

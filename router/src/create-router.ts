import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway } from '@apollo/gateway';
import { GraphQLError, type FormattedExecutionResult, type GraphQLSchema } from 'graphql';
import { viewerFromAuthorization, type AccessTokenVerifier, type SessionRevocations } from '@voiceassist/auth';
import { setLibrarySwitch } from '@voiceassist/env';
import { formatError } from '@voiceassist/errors';
import {
  TRUST_NOTHING,
  clientIp,
  createMetricsServer,
  handleGraphQLRequest,
  listenHttp,
  listenMetrics,
  operationLogPlugin,
  sendJson,
  serveServiceRequests,
  tracingPlugin,
  type DegradableDependency,
  type InspectResult,
  type MetricsListener,
  type TrustProxy,
} from '@voiceassist/graphql-http';
import type { Logger } from '@voiceassist/logging';
import { Counter, Gauge, Histogram, createMetrics, namedOperationLabel, registerDependencyGauge, type Registry, type ServiceMetrics } from '@voiceassist/metrics';
import { createConsoleSite } from './console-site.js';
import type { RouterContext } from './context.js';
import { DEFAULT_LIMITS, createEdge, rateLimitRefusal, type Edge, type EdgeOptions } from './edge/edge.js';
import { createQueryEngine, deferredPartsPlugin, type QueryEngine, type QueryEngineOptions, type QueryPlannerName, type SubscriptionEvent } from './engine/engine.js';
import { createLandingPage } from './landing-page.js';
import { SubgraphDataSource } from './subgraph-data-source.js';
import { subgraphUrlsFromSupergraph } from './supergraph.js';
import { createReloadableGateway, supergraphHash, watchSupergraphFile, type GatewayInterface } from './supergraph-reload.js';
import { SubscriptionPlanner } from './subscriptions/planner.js';
import { attachSubscriptionServer, type SubscriptionLimits, type SubscriptionServer } from './subscriptions/server.js';
import { UpstreamPool } from './subscriptions/upstream.js';
import { httpStreamTransport } from './subscriptions/http-transports.js';

import type { ROUTER_ENGINES } from './env.js';

export interface RouterOptions {
  supergraphSdl: string;
  /** The file `supergraphSdl` came from: re-read by `reloadSupergraph()` (SIGHUP) and, when watched, on change. */
  supergraphPath?: string;
  /** Reload the supergraph when `supergraphPath` changes (SUPERGRAPH_WATCH). */
  watchSupergraph?: boolean;
  /** How long the file must stay unchanged before it is read (writers may take several writes). */
  supergraphWatchDebounceMs?: number;
  /** Replaces the routing URLs composed into the supergraph, per subgraph name. */
  subgraphUrls?: Record<string, string>;
  verifier: AccessTokenVerifier;
  /** Ends subscriptions of revoked sessions at once. */
  revocations: SessionRevocations;
  logger: Logger;
  subscriptionLimits?: Partial<SubscriptionLimits>;
  /** Subscription root fields that are pure live streams, whose identical subscriptions may share one upstream. */
  sharedSubscriptionFields?: string[];
  /** How often a quiet GraphQL over SSE stream gets a keep-alive comment (12 s unless given). */
  sseKeepAliveMs?: number;
  /** How often each subgraph's /health is probed in the background for /health and subgraph_up (10 s unless given). */
  subgraphHealthIntervalMs?: number;
  corsOrigins?: string[];
  /** Let Apollo Gateway send its own telemetry to Apollo (off by default). */
  apolloTelemetry?: boolean;
  /** Stack traces in error responses: only when ERRORS_INCLUDE_STACKTRACE asks. */
  includeStacktrace?: boolean;
  /** Proxies in front allowed to name the client (TRUST_PROXY); nothing by default. */
  trustProxy?: TrustProxy;
  /** Where /metrics is served (never on the public port); not at all when absent. */
  metricsListener?: MetricsListener | undefined;
  landingPage?: boolean;
  /** Introspection queries (off in production unless enabled). */
  introspection?: boolean;
  /** Edge protections: limits, rate limits, trusted operations, batching, headers. */
  edge?: Partial<EdgeOptions>;
  bodyLimitBytes?: number;
  subgraphTimeoutMs?: number;
  /**
   * What runs queries and mutations: the router's own engine (`native`, the default: Hive's or
   * Apollo's planner, our executor and projection; it also runs each subscription event's
   * `rest`, planned by Apollo's planner), or Apollo Gateway (`apollo`).
   */
  engine?: RouterEngine;
  /** The native engine's query planner; Apollo's when Hive's native binary cannot load. */
  queryPlanner?: QueryPlannerName;
  /** Native engine: identical concurrent queries of the same caller share one execution. */
  deduplicateQueries?: boolean;
  /** Native engine: operations whose plans are kept (least recently used go first). */
  queryPlanCacheSize?: number;
  /** Where Hive's planner is loaded from (tests stand in for a platform without its native binary). */
  loadHivePlanner?: QueryEngineOptions['loadHivePlanner'];
  /** A built web console (packages/console/dist), served under /console before the GraphQL routes. */
  consoleDir?: string;
  /** What the router serves without, degraded (its Redis): named by /ready and /health while away. */
  degradable?: Record<string, DegradableDependency>;
  onClose?: () => Promise<void>;
}

/** What one supergraph reload did: `refused` keeps the previous supergraph serving. */
export type SupergraphReload =
  | { outcome: 'reloaded'; hash: string; previousHash: string }
  | { outcome: 'unchanged'; hash: string }
  | { outcome: 'refused'; hash: string | undefined; reason: string };

export interface Router {
  httpServer: Server;
  metrics: ServiceMetrics;
  /** The URL each subgraph is reached at (the live supergraph's, updated by a reload). */
  subgraphUrls: Record<string, string>;
  /** The live supergraph's hash (also in /health and the router_supergraph_info metric). */
  readonly supergraphHash: string;
  /**
   * Swaps in a new supergraph (`sdl`, or `supergraphPath` re-read) with its schema, planner and
   * engine; requests already running finish on the old one. An invalid supergraph is refused and
   * the old one keeps serving.
   */
  reloadSupergraph(sdl?: string): Promise<SupergraphReload>;
  subscriptions: SubscriptionServer;
  /** Also starts the metrics listener when one is configured (its URL is `metricsUrl`). */
  listen(port: number, host?: string): Promise<{ url: string; port: number; metricsUrl?: string }>;
  close(): Promise<void>;
}

export type RouterEngine = (typeof ROUTER_ENGINES)[number];

const ALLOWED_HEADERS = 'content-type, authorization, x-request-id, apollo-require-preflight, x-apollo-operation-name';

/** Sets CORS headers for allowed origins; answers preflights. Returns true when handled. */
function applyCors(req: IncomingMessage, res: ServerResponse, origins: Set<string>): boolean {
  const origin = req.headers.origin;
  res.setHeader('vary', 'Origin');
  if (origin && (origins.has(origin) || origins.has('*'))) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', 'x-request-id');
  }
  if (req.method === 'OPTIONS') {
    if (origin && (origins.has(origin) || origins.has('*'))) {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
      res.setHeader('access-control-max-age', '600');
    }
    res.writeHead(204);
    res.end();
    return true;
  }
  return false;
}

/**
 * The supergraph's single entry point: Apollo Gateway over the composed supergraph, with
 * token verification before planning, header forwarding, Sandbox, health, readiness and metrics.
 */
// long: being split into named modules (issue #22), commit by commit.
export function createRouter(options: RouterOptions): Router {
  const { logger, verifier } = options;
  // One record, updated in place by a reload: the subscription pool reads it per upstream.
  const subgraphUrls: Record<string, string> = {};
  const subgraphUrlsOf = (sdl: string) => ({ ...subgraphUrlsFromSupergraph(sdl), ...options.subgraphUrls });
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
  const corsOrigins = new Set(options.corsOrigins ?? []);
  const serveConsole = options.consoleDir ? createConsoleSite(options.consoleDir) : undefined;
  const serveLandingPage = options.landingPage === false ? undefined : createLandingPage(options.consoleDir);
  const httpServer = createServer();

  // Apollo Gateway's services, one per subgraph name and URL (a reload may move a subgraph).
  const dataSourceCache = new Map<string, SubgraphDataSource>();
  const dataSourceFor = (name: string, url: string) => {
    const key = `${name}\u0000${url}`;
    let dataSource = dataSourceCache.get(key);
    if (!dataSource) dataSourceCache.set(key, (dataSource = new SubgraphDataSource(name, url, subgraphLatency, options.subgraphTimeoutMs ?? 30_000)));
    return dataSource;
  };
  /** The live supergraph's data sources by subgraph name (Apollo's path for subscription events). */
  const dataSources: Record<string, SubgraphDataSource> = {};
  // Apollo Gateway 2.14 sends host, OS and CPU facts to Apollo every hour, probing cloud
  // metadata endpoints first, unless this variable is set; it reads the switch only from the
  // environment. A clinical deployment sends nothing out unless its operator opts in.
  if (!options.apolloTelemetry) setLibrarySwitch('APOLLO_TELEMETRY_DISABLED', 'true');
  const degradable = { ...options.degradable };

  const nativeEngine = (options.engine ?? 'native') === 'native';
  /** Everything built from one supergraph: a reload builds all of it before anything is swapped. */
  interface LoadedSupergraph {
    sdl: string;
    hash: string;
    subgraphUrls: Record<string, string>;
    planner: SubscriptionPlanner;
    apiSchema: GraphQLSchema;
    engine: QueryEngine | undefined;
    gateway: GatewayInterface;
    edge: Edge;
    loadedAt: string;
  }
  function buildSupergraph(sdl: string): LoadedSupergraph {
    const urls = subgraphUrlsOf(sdl);
    // Builds the supergraph and its API schema: throws on an invalid one.
    const planner = new SubscriptionPlanner(sdl);
    // With @defer on the native engine, which answers it as incremental delivery (Apollo Gateway
    // refuses it as an unknown directive); Apollo Server validates requests against this schema.
    const apiSchema = nativeEngine ? planner.apiSchema.toGraphQLJSSchema({ includeDefer: true }) : planner.graphqlApiSchema;
    let engine: QueryEngine | undefined;
    if (nativeEngine) {
      engine = createQueryEngine({
        supergraphSdl: sdl,
        apiSchema,
        supergraphSchema: planner.supergraphSchema,
        subgraphUrls: urls,
        planner: options.queryPlanner ?? 'hive',
        deduplicateQueries: options.deduplicateQueries ?? true,
        planCacheSize: options.queryPlanCacheSize ?? 1_000,
        subgraphTimeoutMs: options.subgraphTimeoutMs ?? 30_000,
        subgraphLatency,
        registry: metrics.registry,
        logger,
        ...(options.loadHivePlanner ? { loadHivePlanner: options.loadHivePlanner } : {}),
      });
    }
    const gateway =
      engine?.gateway ??
      new ApolloGateway({
        supergraphSdl: sdl,
        buildService: ({ name, url }) => dataSourceFor(name, urls[name] ?? url!),
        logger,
      });
    const edge = createEdge(edgeOptions, planner.graphqlApiSchema, logger);
    return { sdl, hash: supergraphHash(sdl), subgraphUrls: urls, planner, apiSchema, engine, gateway, edge, loadedAt: new Date().toISOString() };
  }

  const supergraphInfo = new Gauge({ name: 'router_supergraph_info', help: 'The supergraph the router serves (1), by hash', labelNames: ['hash'] as const, registers: [metrics.registry] });
  const supergraphReloads = new Counter({ name: 'router_supergraph_reloads_total', help: 'Supergraph reloads by outcome (reloaded, refused)', labelNames: ['outcome'] as const, registers: [metrics.registry] });
  let live = buildSupergraph(options.supergraphSdl);
  /** The last supergraph refused since the live one was loaded, named by /health. */
  let refused: { hash: string | undefined; reason: string; at: string } | undefined;
  /** Makes `loaded` what new requests and subscriptions see (its gateway is already serving). */
  function activate(loaded: LoadedSupergraph): void {
    live = loaded;
    for (const name of Object.keys(subgraphUrls)) if (!(name in loaded.subgraphUrls)) delete subgraphUrls[name];
    Object.assign(subgraphUrls, loaded.subgraphUrls);
    for (const name of Object.keys(dataSources)) delete dataSources[name];
    for (const [name, url] of Object.entries(subgraphUrls)) dataSources[name] = dataSourceFor(name, url);
    // Named by /health and /ready while the router plans with Apollo's planner instead.
    const fallbackReason = loaded.engine?.planner.fallbackReason;
    if (fallbackReason) degradable['hive-query-planner'] = { up: false, reason: fallbackReason, onChange: () => () => {} };
    else delete degradable['hive-query-planner'];
    supergraphInfo.reset();
    supergraphInfo.set({ hash: loaded.hash }, 1);
  }
  activate(live);
  const reloadable = createReloadableGateway({ apiSchema: live.apiSchema, supergraphSdl: live.sdl, gateway: live.gateway });

  async function reloadOnce(sdl: string | undefined): Promise<SupergraphReload> {
    let hash: string | undefined;
    try {
      if (sdl === undefined) {
        if (!options.supergraphPath) throw new Error('the router was not started from a supergraph file (SUPERGRAPH_PATH)');
        sdl = await readFile(options.supergraphPath, 'utf8');
      }
      hash = supergraphHash(sdl);
      if (hash === live.hash) return { outcome: 'unchanged', hash };
      await started;
      const next = buildSupergraph(sdl);
      await reloadable.replace({ apiSchema: next.apiSchema, supergraphSdl: next.sdl, gateway: next.gateway });
      const previousHash = live.hash;
      activate(next);
      refused = undefined;
      supergraphReloads.inc({ outcome: 'reloaded' });
      logger.info({ hash, previousHash, subgraphs: Object.keys(next.subgraphUrls) }, 'supergraph reloaded');
      return { outcome: 'reloaded', hash, previousHash };
    } catch (error) {
      // Only the first line: composition errors can be long, and none of it is a secret.
      const reason = (error as Error).message.split('\n')[0] ?? 'unknown error';
      refused = { hash, reason, at: new Date().toISOString() };
      supergraphReloads.inc({ outcome: 'refused' });
      logger.error({ hash: hash ?? null, liveHash: live.hash, reason }, 'supergraph refused; the previous one keeps serving');
      return { outcome: 'refused', hash, reason };
    }
  }
  // One reload at a time, in the order asked.
  let reloading: Promise<unknown> = Promise.resolve();
  const reloadSupergraph = (sdl?: string): Promise<SupergraphReload> => {
    const result = reloading.then(() => reloadOnce(sdl));
    reloading = result;
    return result;
  };
  let watcher: { close(): void } | undefined;
  // Out of inotify watches, or the directory is gone: serve on; SIGHUP still reloads.
  const unwatched = (error: Error) => logger.warn({ err: error, supergraphPath: options.supergraphPath }, 'supergraph file not watched; SIGHUP reloads it');
  if (options.watchSupergraph && options.supergraphPath) {
    try {
      watcher = watchSupergraphFile(options.supergraphPath, options.supergraphWatchDebounceMs ?? 250, () => void reloadSupergraph(), unwatched);
    } catch (error) {
      unwatched(error as Error);
    }
  }

  const apollo = new ApolloServer<RouterContext>({
    // closeOnSignals owns shutdown (see @voiceassist/subgraph-server).
    stopOnTerminationSignals: false,
    gateway: reloadable.gateway,
    introspection: options.introspection ?? true,
    // Our edge does CSRF prevention (see edge.csrf): JSON-only POSTs, query-only GETs, and no
    // cookies. Apollo's variant also refuses plain GETs, which GraphQL over HTTP allows.
    csrfPrevention: false,
    allowBatchedHttpRequests: edgeOptions.maxBatchSize > 0,
    includeStacktraceInErrorResponses: options.includeStacktrace ?? false,
    formatError: (formatted) => formatError(formatted, { includeStacktrace: options.includeStacktrace ?? false }),
    stringifyResult: stringifyOnce,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // The landing page is the router's own (createLandingPage), served before Apollo sees the request.
      ApolloServerPluginLandingPageDisabled(),
      metrics.graphqlPlugin<RouterContext>(),
      operationLogPlugin<RouterContext>(),
      tracingPlugin<RouterContext>('router'),
      ...(nativeEngine ? [deferredPartsPlugin] : []),
    ],
  });
  const started = apollo.start();
  let schemaLoaded = false;
  void started.then(() => (schemaLoaded = true), () => {});
  const subgraphHealth = watchSubgraphHealth(subgraphUrls, options.subgraphHealthIntervalMs ?? 10_000);
  registerSubgraphGauge(metrics.registry, subgraphHealth);

  const subscriptions = attachSubscriptionServer({
    httpServer,
    path: '/graphql',
    // Read per use: a reload swaps them (subscriptions already open keep their plans).
    get planner() {
      return live.planner;
    },
    get edge() {
      return live.edge;
    },
    pool: new UpstreamPool(subgraphUrls),
    dataSources,
    ...(nativeEngine ? { resolveEvent: (event: SubscriptionEvent) => live.engine!.resolveEvent(event) } : {}),
    async executeOperation(request, context) {
      await started;
      const response = await apollo.executeOperation(
        { query: request.query, ...(request.variables ? { variables: request.variables } : {}), ...(request.operationName ? { operationName: request.operationName } : {}) },
        { contextValue: context },
      );
      if (response.body.kind === 'single') return response.body.singleResult;
      return { errors: [{ message: 'Incremental delivery is not supported over WebSocket', extensions: { code: 'BAD_USER_INPUT' } }] };
    },
    verifier,
    revocations: options.revocations,
    logger,
    registry: metrics.registry,
    includeStacktrace: options.includeStacktrace ?? false,
    trustProxy,
    limits: { maxPerUser: 100, maxTotal: 20_000, maxBufferedEvents: 1_000, ...options.subscriptionLimits },
    sharedFields: new Set(options.sharedSubscriptionFields ?? []),
    ...(options.sseKeepAliveMs ? { sseKeepAliveMs: options.sseKeepAliveMs } : {}),
  });

  registerDependencyGauge(metrics.registry, degradable);
  serveServiceRequests(httpServer, {
    service: 'router',
    logger,
    degradable,
    // Ready once the schema is loaded and it can serve: a subgraph that is down fails only its own
    // fields, so a load balancer keeps this router (and every other subgraph's traffic).
    readiness: async () => ({ ready: schemaLoaded, details: schemaLoaded ? {} : { schema: 'loading' } }),
    health: async () => {
      const [subgraphs, revocationsSynced] = await Promise.all([
        subgraphHealth.states(),
        // Until the revoked sessions are known every token is refused (UNAUTHENTICATED); anonymous calls serve.
        options.revocations.checkSynced().then(() => true, () => false),
      ]);
      const supergraph = { hash: live.hash, loadedAt: live.loadedAt, ...(refused ? { refused } : {}) };
      return { subgraphs, revocations: revocationsSynced ? 'ok' : 'syncing', supergraph };
    },
    route: async (req, res, { url, requestId }) => {
      const path = url.pathname;
      const edge = live.edge;
      edge.securityHeaders(req, res);
      if (serveConsole?.(req, res, path)) return true;
      if (applyCors(req, res, corsOrigins)) return true;
      if (path !== '/graphql' && path !== '/') return false;
      if (serveLandingPage?.(req, res, url)) return true;
      await started;
      const refuse = (result: Extract<InspectResult, { ok: false }>) => {
        sendJson(res, result.status, { errors: [result.error] }, result.headers ?? {});
        return true;
      };
      const csrf = edge.csrf(req);
      if (!csrf.ok) return refuse(csrf);
      const authorization = req.headers.authorization;
      let viewer;
      try {
        viewer = await viewerFromAuthorization(authorization, verifier);
      } catch (error) {
        // Refused before planning: no subgraph sees a bad token.
        if (error instanceof GraphQLError) return refuse({ ok: false, status: 401, error: formatError(error.toJSON()) });
        throw error;
      }
      const ip = clientIp(req, trustProxy);
      const isGraphQLOperation = req.method === 'POST' || url.searchParams.size > 0;
      if (isGraphQLOperation) {
        const limited = await edge.rateLimit(viewer ? `user:${viewer.userId}` : `ip:${ip ?? 'unknown'}`);
        if (limited) return refuse(rateLimitRefusal(limited));
      }
      const userAgent = typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined;
      const streamTransport = isGraphQLOperation ? httpStreamTransport(req) : undefined;
      if (streamTransport) {
        // Subscriptions (and any operation) over SSE or multipart: graphql-ws's execution path.
        await subscriptions.serveHttpStream(req, res, streamTransport, { viewer, authorization, ip, userAgent, requestId }, options.bodyLimitBytes ?? 1_000_000);
        return true;
      }
      const context: RouterContext = {
        requestId,
        authorization,
        viewer,
        ip,
        userAgent,
        logger: logger.child({ requestId, ...(viewer ? { userId: viewer.userId } : {}) }),
      };
      await handleGraphQLRequest(req, res, {
        server: apollo,
        bodyLimitBytes: options.bodyLimitBytes ?? 1_000_000,
        inspect: (operation) => edge.inspect(operation),
        maxBatchSize: edgeOptions.maxBatchSize,
        compress: edgeOptions.compress,
        context: async () => context,
      });
      return true;
    },
  });

  let closing: Promise<void> | undefined;
  return {
    httpServer,
    metrics,
    subgraphUrls,
    subscriptions,
    get supergraphHash() {
      return live.hash;
    },
    reloadSupergraph,
    async listen(port, host = '0.0.0.0') {
      await started;
      const listening = await listenHttp(httpServer, port, host);
      logger.info({ url: `${listening.url}/graphql`, subgraphs: subgraphUrls }, 'router listening');
      if (metricsServer && options.metricsListener) return { ...listening, metricsUrl: await listenMetrics(metricsServer, options.metricsListener, logger) };
      return listening;
    },
    close() {
      closing ??= (async () => {
        watcher?.close();
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

/**
 * Apollo Server's serialisation (JSON and a newline), done once per result: identical concurrent
 * queries deduplicated by the native engine share one `data` object, and each of their clients
 * would otherwise serialise it again. Only results without errors or extensions, whose bytes
 * depend on `data` alone.
 */
const serialisedData = new WeakMap<object, string>();
function stringifyOnce(result: FormattedExecutionResult): string {
  const { data } = result;
  if (result.errors !== undefined || result.extensions !== undefined || typeof data !== 'object' || data === null) return `${JSON.stringify(result)}\n`;
  let text = serialisedData.get(data);
  if (text === undefined) serialisedData.set(data, (text = `${JSON.stringify(result)}\n`));
  return text;
}

/** Each subgraph's /health as the router sees it: 'ok', 'degraded (…)', 'unhealthy (status)' or 'unreachable'. */
async function probeSubgraphs(subgraphUrls: Record<string, string>): Promise<Record<string, string>> {
  const probes = Object.entries(subgraphUrls).map(async ([name, url]): Promise<[string, string]> => {
    try {
      const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2_000) });
      if (!response.ok) return [name, `unhealthy (${response.status})`];
      // A subgraph that is degraded still serves; say what it is without.
      const { degraded } = (await response.json().catch(() => ({}))) as { degraded?: unknown };
      return [name, Array.isArray(degraded) && degraded.length > 0 ? `degraded (${degraded.join(', ')})` : 'ok'];
    } catch {
      return [name, 'unreachable'];
    }
  });
  return Object.fromEntries(await Promise.all(probes));
}

interface SubgraphHealth {
  /** Each subgraph's state at the last probe (the first probe's, awaited once, before any). */
  states(): Promise<Record<string, string>>;
  stop(): void;
}

/**
 * Probes every subgraph's /health in the background, every `intervalMs`: the router's /health
 * and subgraph_up read the last result, so however often they are called they cost no request
 * to a subgraph (nor a wait on one that does not answer). A probe still running is not doubled.
 */
function watchSubgraphHealth(subgraphUrls: Record<string, string>, intervalMs: number): SubgraphHealth {
  let last: Record<string, string> = {};
  let probing: Promise<void> | undefined;
  const probe = () =>
    (probing ??= probeSubgraphs(subgraphUrls)
      .then((states) => {
        last = states;
      })
      .finally(() => {
        probing = undefined;
      }));
  const first = probe();
  const timer = setInterval(() => void probe(), intervalMs);
  timer.unref();
  return {
    states: async () => {
      await first;
      return last;
    },
    stop: () => clearInterval(timer),
  };
}

/** subgraph_up{subgraph}: 1 while its /health answers (degraded included), as of the last background probe. */
function registerSubgraphGauge(registry: Registry, health: SubgraphHealth): void {
  new Gauge({
    name: 'subgraph_up',
    help: "Whether the router reaches a subgraph's /health (1) or not (0), as of its last background probe",
    labelNames: ['subgraph'],
    registers: [registry],
    async collect() {
      for (const [subgraph, state] of Object.entries(await health.states())) {
        this.set({ subgraph }, state === 'ok' || state.startsWith('degraded') ? 1 : 0);
      }
    },
  });
}

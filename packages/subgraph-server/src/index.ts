import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { GraphQLError, getOperationAST, isObjectType, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createPermissions, isAlwaysAllowed, permissionRuleTree, viewerFromAuthorization, type AccessTokenVerifier, type AuthContext, type IRuleTypeMap } from '@voiceassist/auth';
import { formatError } from '@voiceassist/errors';
import { checkArgumentValues } from '@voiceassist/argument-checks';
import { clientIp, TRUST_NOTHING } from '@voiceassist/client-address';
import { listenHttp, requestIdFrom } from '@voiceassist/http-io';
import { handleGraphQLRequest, subscriptionNeedsStream } from '@voiceassist/graphql-over-http';
import { operationLogPlugin, tracingPlugin } from '@voiceassist/operation-telemetry';
import { createMetricsServer, listenMetrics, serveServiceRequests, type ServiceDependencies, type ServiceHttpOptions } from '@voiceassist/service-endpoints';
import type { Logger } from '@voiceassist/logging';
import { createMetrics, registerDependencyGauge, rootFieldLabel, type Metric, type ServiceMetrics } from '@voiceassist/metrics';
import type { z } from '@voiceassist/env';
import { extractTraceContext, serviceTracer, startSpan, traceparentOf, tracingEnabled } from '@voiceassist/tracing';
import { batchSendsPerTick } from '@voiceassist/websocket-batching';
import { continueOperationTrace, traceResolvers } from './resolver-spans.js';

export type { GraphQLResolverMap };

/**
 * A subgraph's resolvers as its generated `Resolvers` type describes them (`pnpm codegen:resolvers`
 * checks them against its schema and context type). Apollo's map type cannot hold them: federation's
 * `__resolveReference(reference, context, info)` is not a field resolver.
 */
export type SubgraphResolvers = { readonly [typeName: string]: object | undefined };

/**
 * What a subgraph is: its name, its SDL, its resolvers and its permissions. The context type
 * parameter names the subgraph's context; its generated `Resolvers` type is what checks it.
 */
export interface SubgraphModule<_TContext = unknown> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: SubgraphResolvers;
  permissions: IRuleTypeMap;
}

/** What every subgraph request knows, whatever the subgraph. */
export interface RequestContext extends AuthContext {
  requestId: string;
  logger: Logger;
  ip: string | undefined;
  userAgent: string | undefined;
  /** The caller's Authorization header, to call other subgraphs on their behalf. */
  authorization: string | undefined;
}

export interface SubgraphServerOptions<TContext extends RequestContext> extends Partial<ServiceHttpOptions> {
  module: SubgraphModule<TContext>;
  logger: Logger;
  verifier: AccessTokenVerifier;
  /** Adds the subgraph's services and per-request loaders to the base context. */
  context: (base: RequestContext) => TContext | Promise<TContext>;
  /** What /ready and /health check: required dependencies (each check throws when away) and degradable ones. */
  readiness?: ServiceDependencies;
  /** Extra GET routes, such as identity's JWKS. */
  routes?: Record<string, (req: IncomingMessage, res: ServerResponse, parsed: { url: URL }) => void | Promise<void>>;
  bodyLimitBytes?: number;
  /** Releases the subgraph's own resources (database, Redis) after the server has drained. */
  onClose?: () => Promise<void>;
  /** The subgraph's own metrics (made before the server), exported with the rest on /metrics. */
  metrics?: ReadonlyArray<Metric>;
}

export interface SubgraphServer {
  name: string;
  schema: GraphQLSchema;
  metrics: ServiceMetrics;
  httpServer: Server;
  /** Also starts the metrics listener when one is configured (its URL is `metricsUrl`). */
  listen(port: number, host?: string): Promise<{ url: string; port: number; metricsUrl?: string }>;
  close(): Promise<void>;
}

const SCALARS = { DateTime: DateTimeResolver, JSON: JSONResolver };

export function buildExecutableSubgraphSchema<TContext>(module: SubgraphModule<TContext>): GraphQLSchema {
  const declared = new Set(
    module.typeDefs.definitions.flatMap((d) => (d.kind === 'ScalarTypeDefinition' ? [d.name.value] : [])),
  );
  const scalars = Object.fromEntries(Object.entries(SCALARS).filter(([name]) => declared.has(name)));
  const schema = buildSubgraphSchema({
    typeDefs: module.typeDefs,
    resolvers: { ...scalars, ...module.resolvers } as GraphQLResolverMap<unknown>,
  });
  traceResolvers(schema, module.name);
  const shielded = applyMiddleware(schema, createPermissions(module.permissions, schema));
  unwrapAlwaysAllowedFields(schema, shielded, module.permissions);
  return shielded;
}

/**
 * Shield wraps every field in an async check, `allow` ones too: several promises per field of
 * every result, which a flag change fanned out to a thousand subscriptions pays a thousand
 * times. Fields of object types whose rule is `allow` get their own resolver back; root fields
 * keep the wrapper (subscriptions' `subscribe` is wrapped there too) and default deny is untouched.
 */
function unwrapAlwaysAllowedFields(original: GraphQLSchema, shielded: GraphQLSchema, rules: SubgraphModule['permissions']) {
  const tree = permissionRuleTree(rules, original);
  const roots = new Set([shielded.getQueryType()?.name, shielded.getMutationType()?.name, shielded.getSubscriptionType()?.name]);
  for (const type of Object.values(shielded.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || roots.has(type.name)) continue;
    const originalType = original.getType(type.name);
    if (!isObjectType(originalType)) continue;
    const originalFields = originalType.getFields();
    for (const [name, field] of Object.entries(type.getFields())) {
      if (isAlwaysAllowed(tree, type.name, name)) field.resolve = originalFields[name]?.resolve;
    }
  }
}

/**
 * What no resolver should see is refused before any resolver runs: arguments with unstorable text
 * or nested too deep (graphql-ws gets the same check in onSubscribe), and subscriptions, which
 * Apollo would run as a one-off query over HTTP. A subgraph reached directly is as strict as the
 * router in front of it.
 */
function refuseBeforeResolversPlugin<TContext extends RequestContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          if (operation?.operation === 'subscription') throw subscriptionNeedsStream();
          const error = checkArgumentValues(document, operation, request.variables);
          if (error) throw error;
        },
      };
    },
  };
}

/** The same check for a graphql-ws subscribe message; graphql-ws reports parse errors itself. */
function argumentValuesRefusal(payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null }): GraphQLError[] | undefined {
  let document: DocumentNode;
  try {
    document = parse(payload.query, { noLocation: true });
  } catch {
    return undefined;
  }
  const error = checkArgumentValues(document, getOperationAST(document, payload.operationName) ?? undefined, payload.variables ?? undefined);
  return error ? [error] : undefined;
}

/** The `traceparent` of the event each subscription is resolving now, keyed by its operation's context. */
const eventTraceparents = new WeakMap<object, string>();

/**
 * Puts the event a subscription resolves now in a trace of its own making: a resolver's `resolve`
 * calls it with the trace the event was published in (a reply's token, in its sendMessage's
 * trace), so its delivery (here and at the router) belongs to that trace.
 */
export function continueEventTrace(context: object, traceparent: string | undefined): void {
  if (traceparent) eventTraceparents.set(context, traceparent);
}

/**
 * A span per subscription event sent: in the trace the event was published in when its resolver
 * named one (linked to the subscription), else in the subscription's trace (the router's
 * `traceparent` in the subscribe message's extensions). Returns the span's `traceparent` in the
 * first case, for the event's extensions: the router's span of the event continues it.
 */
function markSubscriptionEvent(service: string, extensions: Record<string, unknown> | null | undefined, context: unknown): string | undefined {
  if (!tracingEnabled()) return undefined;
  const published = typeof context === 'object' && context ? eventTraceparents.get(context) : undefined;
  if (published) eventTraceparents.delete(context as object);
  const subscription = typeof extensions?.traceparent === 'string' ? extractTraceContext(extensions) : undefined;
  // Neither (a client subscribing here directly, an untraced event): each event would start a trace of its own.
  if (!published && !subscription) return undefined;
  const parent = published ? extractTraceContext({ traceparent: published }) : subscription;
  const started = startSpan(serviceTracer(service), 'subscription.event', { parent, links: published && subscription ? [subscription] : [] });
  started?.span.end();
  return published && started ? traceparentOf(started.context) : undefined;
}

function withHttpStatus(error: unknown, status: number): unknown {
  if (error instanceof GraphQLError) {
    return new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status } } });
  }
  return error;
}

/** Builds a request's context: request id, verified viewer, logger, then the subgraph's own part. */
type ContextFactory<TContext> = (
  headers: IncomingMessage['headers'],
  ip: string | undefined,
  authorization: string | undefined,
  requestIdOverride?: unknown,
) => Promise<TContext>;

function requestContextFactory<TContext extends RequestContext>(options: SubgraphServerOptions<TContext>): ContextFactory<TContext> {
  const { logger, verifier } = options;
  return async (headers, ip, authorization, requestIdOverride) => {
    const requestId = requestIdFrom(typeof requestIdOverride === 'string' ? requestIdOverride : headers['x-request-id']);
    const viewer = await viewerFromAuthorization(authorization, verifier);
    const userAgent = typeof headers['user-agent'] === 'string' ? headers['user-agent'] : undefined;
    return options.context({
      viewer,
      requestId,
      ip,
      userAgent,
      authorization,
      logger: logger.child({ requestId, ...(viewer ? { userId: viewer.userId } : {}) }),
    });
  };
}

const wsAuthorization = (params: Record<string, unknown> | undefined) =>
  typeof params?.authorization === 'string' && params.authorization ? params.authorization : undefined;

/** graphql-ws on the WebSocket server: subscriptions, authenticated on connect. Returns what disposes of it. */
function serveSubscriptions<TContext extends RequestContext>(
  wsServer: WebSocketServer,
  schema: GraphQLSchema,
  options: SubgraphServerOptions<TContext>,
  baseContext: ContextFactory<TContext>,
) {
  const trustProxy = options.trustProxy ?? TRUST_NOTHING;
  const includeStacktrace = options.includeStacktrace ?? false;
  return useServer<Record<string, unknown> | undefined>(
    {
      schema,
      onSubscribe: (_ctx, _id, payload) => argumentValuesRefusal(payload),
      onConnect: async (ctx) => {
        try {
          await viewerFromAuthorization(wsAuthorization(ctx.connectionParams), options.verifier);
          return true;
        } catch {
          ctx.extra.socket.close(4401, 'Unauthorized');
          return false;
        }
      },
      // A fresh context per operation: loaders never serve one subscription's stale rows to another,
      // and the router's per-operation request id (sent in extensions) reaches the logs.
      context: async (ctx, _id, payload) => {
        const context = await baseContext(
          ctx.extra.request.headers,
          clientIp(ctx.extra.request, trustProxy),
          wsAuthorization(ctx.connectionParams),
          (payload.extensions as { requestId?: unknown } | undefined)?.requestId,
        );
        continueOperationTrace(context, payload.extensions);
        return context;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON(), { includeStacktrace })),
      onNext: (_ctx, _id, payload, args, result) => {
        const traceparent = markSubscriptionEvent(options.module.name, payload.extensions, args.contextValue);
        const sent = result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), { includeStacktrace })) } : undefined;
        return traceparent ? { ...(sent ?? result), extensions: { ...result.extensions, traceparent } } : sent;
      },
    },
    wsServer,
  );
}

/** Apollo Server for queries and mutations over HTTP; draining it also disposes of graphql-ws. */
function createApolloServer<TContext extends RequestContext>(
  schema: GraphQLSchema,
  options: SubgraphServerOptions<TContext>,
  parts: { httpServer: Server; metrics: ServiceMetrics; subscriptions: { dispose(): unknown } },
): ApolloServer<TContext> {
  const includeStacktrace = options.includeStacktrace ?? false;
  return new ApolloServer<TContext>({
    schema,
    // closeOnSignals owns shutdown: Apollo's own handler would stop this server behind our back
    // and re-raise the signal, killing the process before the rest has closed.
    stopOnTerminationSignals: false,
    introspection: true,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: includeStacktrace,
    formatError: (formatted) => formatError(formatted, { includeStacktrace }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: parts.httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // No Apollo Studio here; the plugin would only print a plain-text line into our JSON logs.
      ApolloServerPluginInlineTraceDisabled(),
      parts.metrics.graphqlPlugin<TContext>(),
      operationLogPlugin<TContext>(),
      tracingPlugin<TContext>(options.module.name),
      refuseBeforeResolversPlugin<TContext>(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await parts.subscriptions.dispose();
            },
          };
        },
      },
    ],
  });
}

/** The HTTP routes: /graphql to Apollo once it has started, readiness and health, and the subgraph's extra GET routes. */
function serveHttpRoutes<TContext extends RequestContext>(
  httpServer: Server,
  options: SubgraphServerOptions<TContext>,
  parts: { metrics: ServiceMetrics; apollo: ApolloServer<TContext>; started: Promise<void>; baseContext: ContextFactory<TContext> },
): void {
  const { apollo, started, baseContext } = parts;
  const trustProxy = options.trustProxy ?? TRUST_NOTHING;
  const degradable = options.readiness?.degradable ?? {};
  registerDependencyGauge(parts.metrics.registry, degradable);
  serveServiceRequests(httpServer, {
    service: options.module.name,
    logger: options.logger,
    degradable,
    readiness: async () => {
      const checks = await runChecks(options.readiness?.required ?? {});
      return { ready: Object.values(checks).every((check) => check === 'ok'), details: { checks } };
    },
    health: async () => {
      const reported = options.readiness?.reported ?? {};
      return Object.keys(reported).length > 0 ? { checks: await runChecks(reported) } : {};
    },
    route: async (req, res, { url }) => {
      const path = url.pathname;
      if (path === '/graphql') {
        await started;
        await handleGraphQLRequest(req, res, {
          server: apollo,
          bodyLimitBytes: options.bodyLimitBytes ?? 1_000_000,
          context: async () => {
            try {
              return await baseContext(req.headers, clientIp(req, trustProxy), req.headers.authorization);
            } catch (error) {
              throw withHttpStatus(error, 401);
            }
          },
        });
        return true;
      }
      const extraRoute = req.method === 'GET' ? options.routes?.[path] : undefined;
      if (!extraRoute) return false;
      await extraRoute(req, res, { url });
      return true;
    },
  });
}

/**
 * The one bootstrap for every subgraph: Apollo Server and graphql-ws on one HTTP server and
 * path, verified viewer and request id in context, JSON logs, metrics, health and readiness,
 * and graceful shutdown.
 */
export function createSubgraphServer<TContext extends RequestContext>(options: SubgraphServerOptions<TContext>): SubgraphServer {
  const { module, logger } = options;
  const schema = buildExecutableSubgraphSchema(module);
  const metrics = createMetrics(module.name, rootFieldLabel);
  for (const metric of options.metrics ?? []) metrics.registry.registerMetric(metric);
  const metricsServer = options.metricsListener ? createMetricsServer(metrics, logger) : undefined;
  const httpServer = createServer();
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  batchSendsPerTick(wsServer);

  const baseContext = requestContextFactory(options);
  const subscriptions = serveSubscriptions(wsServer, schema, options, baseContext);
  const apollo = createApolloServer(schema, options, { httpServer, metrics, subscriptions });
  const started = apollo.start();
  serveHttpRoutes(httpServer, options, { metrics, apollo, started, baseContext });

  let closing: Promise<void> | undefined;
  return {
    name: module.name,
    schema,
    metrics,
    httpServer,
    async listen(port, host = '0.0.0.0') {
      await started;
      const listening = await listenHttp(httpServer, port, host);
      logger.info({ url: `${listening.url}/graphql` }, `${module.name} subgraph listening`);
      if (metricsServer && options.metricsListener) return { ...listening, metricsUrl: await listenMetrics(metricsServer, options.metricsListener, logger) };
      return listening;
    },
    close() {
      closing ??= (async () => {
        for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
        // Apollo refuses stop() before start() has finished.
        await started.catch(() => {});
        await apollo.stop();
        wsServer.close();
        if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        if (metricsServer?.listening) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
        await options.onClose?.();
      })();
      return closing;
    },
  };
}

/**
 * Where a service's infrastructure is. `namespace` separates several supergraphs in one
 * process or on one Redis (the test kit); `dataDir` undefined with no database URL means
 * an in-memory PGlite.
 */
export interface ServiceInfra {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  redisUrl?: string | undefined;
  namespace?: string | undefined;
}

/** A running subgraph service: its server plus whatever it owns. */
export interface SubgraphService {
  server: SubgraphServer;
  /** Stops the server and releases everything the service opened. */
  close(): Promise<void>;
}

export interface CreateServiceOptions<TEnv> {
  env: TEnv;
  logger: Logger;
  infra: ServiceInfra;
  /**
   * GraphQL URLs of the subgraphs started before this one, by name. A service that calls a
   * peer (conversation → knowledge) prefers these over its env, so in-process supergraphs on
   * random ports wire themselves.
   */
  peers?: Record<string, string>;
}

/**
 * How to start one subgraph: what `pnpm start`, the test kit and the deployment checks need to
 * know. Every subgraph package exports one; `@voiceassist/services` lists them.
 */
export interface SubgraphServiceDefinition<TEnv = unknown, TService extends SubgraphService = SubgraphService> {
  name: string;
  module: SubgraphModule<never>;
  /** Its environment schema (zod), for loadEnv. */
  envSchema: z.ZodObject;
  /** The env variable holding its port, and the port from a validated env. */
  portVariable: string;
  port(env: TEnv): number;
  create(options: CreateServiceOptions<TEnv>): Promise<TService>;
}

/** A subgraph from its SDL file (read once, on import), its resolvers and its permissions. */
export function subgraphModule<TContext>(name: string, schemaFile: URL, parts: Pick<SubgraphModule<TContext>, 'resolvers' | 'permissions'>): SubgraphModule<TContext> {
  return { name, typeDefs: parse(readFileSync(fileURLToPath(schemaFile), 'utf8')), ...parts };
}

/** How to start a subgraph, from its module, its env schema, the variable holding its port and how to create it. */
export function defineSubgraphService<TSchema extends z.ZodObject, TService extends SubgraphService, TContext>(definition: {
  module: SubgraphModule<TContext>;
  envSchema: TSchema;
  portVariable: keyof z.infer<TSchema> & string;
  create(options: CreateServiceOptions<z.infer<TSchema>>): Promise<TService>;
}): SubgraphServiceDefinition<z.infer<TSchema>, TService> {
  const { module, envSchema, portVariable, create } = definition;
  return {
    name: module.name,
    // The service list holds subgraphs of every context type; only the subgraph's own server uses it typed.
    module: module as unknown as SubgraphModule<never>,
    envSchema,
    portVariable,
    port: (env) => Number(env[portVariable]),
    create,
  };
}

/** Each check's outcome by name: 'ok', or 'unavailable' when it threw. */
async function runChecks(checks: Record<string, () => Promise<unknown>>): Promise<Record<string, string>> {
  const outcomes = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await check().then(() => 'ok', () => 'unavailable')] as const),
  );
  return Object.fromEntries(outcomes);
}

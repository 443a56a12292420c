import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import type { PlanNode, QueryPlan } from '@apollo/query-planner';
import {
  GraphQLError,
  getOperationAST,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { viewerFromAuthorization, type AccessTokenVerifier, type SessionRevocations, type Viewer } from '@voiceassist/auth';
import { ErrorCode, formatError, internalError, rateLimited, unauthenticated } from '@voiceassist/errors';
import type { Logger } from '@voiceassist/logging';
import { Counter, Gauge, Histogram, type Registry } from '@voiceassist/metrics';
import { clientIp, readStreamedOperation, requestIdFrom, sendJson, type OperationRequest, type TrustProxy } from '@voiceassist/graphql-http';
import { SpanKind, activeContext, extractTraceContext, injectTraceContext, runInContext, serviceTracer, startSpan, type TraceContext } from '@voiceassist/tracing';
import { batchSendsPerTick } from '@voiceassist/websocket-batching';
import type { RouterContext } from '../context.js';
import type { Edge } from '../edge/edge.js';
import type { QueryEngine } from '../engine/engine.js';
import { computeResponse } from '@apollo/gateway/dist/resultShaping.js';
import { ActiveSubscription, graphqlWsFraming, type Framing } from './active-subscription.js';
import { HTTP_STREAM_FORMATS, type HttpStreamTransport } from './http-transports.js';
import { SharedStream, type ResolvedEvent } from './shared-stream.js';
import type { SubscriptionPlanner } from './planner.js';
import type { UpstreamPool, UpstreamSink } from './upstream.js';

export interface SubscriptionLimits {
  /** Open subscriptions per user (per IP when anonymous) on this router. */
  maxPerUser: number;
  /** Open subscriptions on this router. */
  maxTotal: number;
  /** Events waiting for one slow connection before it is closed. */
  maxBufferedEvents: number;
}

export interface SubscriptionServerOptions {
  httpServer: Server;
  path: string;
  planner: SubscriptionPlanner;
  /** The same limits, trusted operations and rate limits as HTTP. */
  edge: Edge;
  pool: UpstreamPool;
  dataSources: Record<string, GraphQLDataSource>;
  /** The router's own engine resolves each event's `rest` (ROUTER_ENGINE=native); Apollo Gateway's executor otherwise. */
  resolveEvent?: QueryEngine['resolveEvent'];
  /** Runs queries and mutations sent over the socket through the ordinary gateway pipeline. */
  executeOperation(request: { query: string; variables: Record<string, unknown> | undefined; operationName: string | undefined }, context: RouterContext): Promise<FormattedExecutionResult>;
  verifier: AccessTokenVerifier;
  revocations: SessionRevocations;
  logger: Logger;
  registry: Registry;
  limits: SubscriptionLimits;
  includeStacktrace: boolean;
  /** Proxies allowed to name the client in the upgrade request's X-Forwarded-For. */
  trustProxy: TrustProxy;
  /**
   * Root fields whose identical subscriptions (same operation, variables and credentials) may
   * share one upstream stream. Only for pure live streams: a field that replays history or
   * starts with a snapshot must give every subscriber its own stream.
   */
  sharedFields?: ReadonlySet<string>;
  /** How often a quiet GraphQL over SSE stream gets a keep-alive comment; the format's (12 s) unless given. */
  sseKeepAliveMs?: number;
}

/** graphql-ws's code for a refused connection. */
export const CLOSE_UNAUTHORIZED = 4401;
/** Our code for a client that reads too slowly to keep up with its subscriptions. */
export const CLOSE_SLOW_CONSUMER = 4408;

/** A client's link to the router: a graphql-ws socket, or one SSE or multipart response. */
interface Connection {
  /** Writes a message; `written` is called once it has left for the client. */
  write(message: string, written: () => void): void;
  /** Drops a client that stopped reading (after the subscriptions have been released). */
  drop(): void;
  viewer: Viewer | null;
  authorization: string | undefined;
  ip: string | undefined;
  userAgent: string | undefined;
  limitKey: string;
  requestId: string;
  subscriptions: Set<ActiveSubscription>;
  /** Messages handed to the socket and not yet written out: what a slow reader holds up. */
  buffered: number;
  /** The one write callback of this connection's subscription messages (no closure per event). */
  written: () => void;
  /** Set once the credentials stop being valid; every operation is then refused. */
  refusal: string | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
}

/** Who opened a connection: from graphql-ws's connection_init or an HTTP request's headers. */
export interface Caller {
  viewer: Viewer | null;
  authorization: string | undefined;
  ip: string | undefined;
  userAgent: string | undefined;
  requestId: string;
}

/** One operation as a client sent it (graphql-ws `subscribe` payload or an HTTP request). */
type OperationPayload = Pick<OperationRequest, 'query' | 'operationName' | 'variables' | 'extensions' | 'documentId'>;

/** An operation refused before it runs, with the HTTP status a stream transport answers. */
interface Refusal {
  status: number;
  errors: GraphQLError[];
}

/** What graphql-ws hands back to our hooks for one operation: its context, connection and id. */
/** `traceContext`: the trace the client's subscribe message (or its connection) continues. */
type OperationContext = RouterContext & { connection: Connection; operationId: string; traceContext?: TraceContext };

const tracer = serviceTracer('router');

type Extra = {
  socket: WebSocket;
  request: IncomingMessage;
  connection?: Connection;
};

function withTraceContext(context: OperationContext, traceContext: TraceContext): OperationContext {
  context.traceContext = traceContext;
  return context;
}

/** The `traceparent` of a trace context, for a message's extensions; none while tracing is off. */
function traceHeaders(traceContext: TraceContext | undefined): Record<string, string> | undefined {
  if (!traceContext) return undefined;
  const headers: Record<string, string> = {};
  runInContext(traceContext, () => injectTraceContext(headers));
  return headers;
}

/**
 * The trace a subgraph says an event was published in: the `traceparent` its extensions end with
 * (ours put it last). Read from the text, so an event is not parsed for it; quotes inside
 * string values are escaped, so only a key matches.
 */
const PUBLISHED_TRACE = /"traceparent":"(00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})"\}\}$/;
function publishedTrace(event: string | ExecutionResult): TraceContext | undefined {
  const traceparent = typeof event === 'string' ? PUBLISHED_TRACE.exec(event)?.[1] : event.extensions?.traceparent;
  return typeof traceparent === 'string' ? extractTraceContext({ traceparent }) : undefined;
}

/**
 * A payload that is `{"data":…}` and nothing else, judged from its text: no errors or
 * extensions to rewrite. A data value that merely contains such a word takes the parsing path.
 */
function isDataOnly(payload: string): boolean {
  return payload.startsWith('{"data":') && !payload.includes('"errors"') && !payload.includes('"extensions"');
}

/** The primary fetch's stand-in service: it answers with the event the subgraph pushed. */
const EVENT_SERVICE = '__subscription_event__';

const MAX_TIMER_MS = 2 ** 31 - 1;
/** Distinct operation texts kept parsed and validated. */
const DOCUMENT_CACHE_SIZE = 1_000;

/**
 * Executes every operation that arrives over graphql-ws on the router: subscriptions through
 * the query planner (primary stream from the owning subgraph, `rest` per event through the
 * gateway's executor), queries and mutations through the ordinary gateway pipeline.
 */
// long: being split into named modules (issue #22), commit by commit.
export function attachSubscriptionServer(options: SubscriptionServerOptions) {
  // The planner is read per use: a supergraph reload replaces it (subscriptions already open keep their plans).
  const { pool, logger, limits } = options;
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path });
  batchSendsPerTick(wsServer);
  const connections = new Set<Connection>();
  const openPerKey = new Map<string, number>();
  let openTotal = 0;

  const open = new Gauge({ name: 'router_open_subscriptions', help: 'Open subscriptions by root field', labelNames: ['field'] as const, registers: [options.registry] });
  // Event counts are kept as plain numbers per field (fieldMetrics, below) and handed to the
  // counters when metrics are read: prom-client hashes the labels on every inc, a cost paid
  // per event otherwise.
  const flushEventCounts = () => {
    for (const [field, { counts }] of fieldMetrics) {
      if (counts.in) eventsIn.inc({ field }, counts.in);
      if (counts.out) eventsOut.inc({ field }, counts.out);
      counts.in = 0;
      counts.out = 0;
    }
  };
  const eventsIn: Counter<'field'> = new Counter({ name: 'router_subscription_events_in_total', help: 'Events received from subgraphs', labelNames: ['field'] as const, registers: [options.registry], collect: flushEventCounts });
  const eventsOut: Counter<'field'> = new Counter({ name: 'router_subscription_events_out_total', help: 'Events resolved and queued for clients', labelNames: ['field'] as const, registers: [options.registry], collect: flushEventCounts });
  const addedLatency = new Histogram({
    name: 'router_subscription_event_added_latency_seconds',
    help: 'Time from an upstream event to its resolved result, per event',
    labelNames: ['field'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [options.registry],
  });

  const format = (errors: ReadonlyArray<GraphQLError | GraphQLFormattedError>): GraphQLFormattedError[] =>
    errors.map((e) => formatError(e instanceof GraphQLError ? e.toJSON() : e, { includeStacktrace: options.includeStacktrace }));

  const endConnection = (connection: Connection, reason: string) => {
    connection.refusal = reason;
    if (connection.expiryTimer) clearTimeout(connection.expiryTimer);
    const error = JSON.stringify({ errors: format([unauthenticated(reason)]) });
    for (const subscription of connection.subscriptions) subscription.finish(error);
  };

  /** Writes a subscription message, closing the connection when too many wait to be written. */
  const sendToConnection = (connection: Connection, message: string) => {
    connection.buffered += 1;
    connection.write(message, connection.written);
    if (connection.buffered > limits.maxBufferedEvents) closeSlowConsumer(connection);
  };

  /** Drops a connection that cannot keep up, freeing its buffers and upstream streams at once. */
  const closeSlowConsumer = (connection: Connection) => {
    if (connection.refusal) return;
    connection.refusal = 'Connection closed: too slow';
    logger.warn({ requestId: connection.requestId, buffered: connection.buffered }, 'closing slow subscription consumer');
    for (const subscription of connection.subscriptions) void subscription.return();
    connection.drop();
  };

  /** A client's connection, its expiry timer set: subscriptions end with UNAUTHENTICATED when the token does. */
  const openConnection = (
    caller: Caller,
    transport: Pick<Connection, 'write' | 'drop'>,
  ): Connection => {
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
      connection.expiryTimer = setTimeout(() => endConnection(connection, 'Access token has expired'), Math.min(Math.max(expiresIn, 0), MAX_TIMER_MS));
      connection.expiryTimer.unref();
    }
    connections.add(connection);
    return connection;
  };

  const closeConnection = (connection: Connection) => {
    if (connection.expiryTimer) clearTimeout(connection.expiryTimer);
    connections.delete(connection);
  };

  const stopListening = options.revocations.onRevoked((sessionId) => {
    for (const connection of connections) {
      if (connection.viewer?.sessionId === sessionId) endConnection(connection, 'Session has been revoked');
    }
  });

  /** The request's context; its child logger is made on first use (most subscriptions never log). */
  const contextFor = (connection: Connection, requestId: string, operationId: string): OperationContext => {
    let child: Logger | undefined;
    return {
      requestId,
      operationId,
      authorization: connection.authorization,
      viewer: connection.viewer,
      ip: connection.ip,
      userAgent: connection.userAgent,
      connection,
      get logger() {
        child ??= logger.child({ requestId, ...(connection.viewer ? { userId: connection.viewer.userId } : {}) });
        return child;
      },
    };
  };

  /** Errors inside an event belong to the subgraph that pushed it. */
  const eventErrors = (event: ExecutionResult | FormattedExecutionResult, serviceName: string): GraphQLFormattedError[] =>
    (event.errors ?? []).map((e) => {
      const json = e instanceof GraphQLError ? e.toJSON() : (e as GraphQLFormattedError);
      return { ...json, extensions: { ...json.extensions, serviceName } };
    });

  function resolveEvent(
    payload: string | ExecutionResult,
    planned: ReturnType<SubscriptionPlanner['plan']>,
    variables: Record<string, unknown>,
    context: RouterContext,
  ): ResolvedEvent | Promise<ResolvedEvent> {
    if (planned.passThrough && typeof payload === 'string' && isDataOnly(payload)) return payload;
    let event: ExecutionResult;
    try {
      event = typeof payload === 'string' ? (JSON.parse(payload) as ExecutionResult) : payload;
    } catch (error) {
      context.logger.error({ err: error }, 'subscription event was not JSON');
      return { errors: format([internalError()]) };
    }
    if (planned.passThrough && !event.errors) return { data: (event.data ?? null) as FormattedExecutionResult['data'] };
    if (!planned.rest) {
      // Everything selected lives in the subgraph that pushed the event: only shape the result.
      try {
        const shaped = computeResponse({ operation: planned.operation, variables, input: event.data ?? null, introspectionHandling: () => null });
        const errors = eventErrors(event, planned.primary.serviceName);
        return { data: (shaped.data ?? null) as FormattedExecutionResult['data'], ...(errors.length ? { errors: format(errors) } : {}) };
      } catch (error) {
        context.logger.error({ err: error }, 'subscription event could not be shaped');
        return { errors: format([internalError()]) };
      }
    }
    return resolveWithRest(event, planned, planned.rest, variables, context);
  }

  async function resolveWithRest(
    event: ExecutionResult,
    planned: ReturnType<SubscriptionPlanner['plan']>,
    rest: PlanNode,
    variables: Record<string, unknown>,
    context: RouterContext,
  ): Promise<FormattedExecutionResult> {
    if (options.resolveEvent) {
      const eventErrorsAsGraphQL = eventErrors(event, planned.primary.serviceName).map(
        (e) => new GraphQLError(e.message, { ...(e.path ? { path: e.path } : {}), ...(e.extensions ? { extensions: e.extensions } : {}) }),
      );
      const data = (event.data ?? null) as Record<string, unknown> | null;
      let result: Awaited<ReturnType<typeof options.resolveEvent>>;
      try {
        result = await options.resolveEvent({ rest, document: planned.document, operationName: planned.operationName, data, errors: eventErrorsAsGraphQL, variables, context });
      } catch (error) {
        context.logger.error({ err: error }, 'subscription event could not be resolved');
        return { errors: format([internalError()]) };
      }
      const errors = result.errors?.map((error) => (error instanceof GraphQLError ? error.toJSON() : (error as GraphQLFormattedError)));
      return { data: (result.data ?? null) as FormattedExecutionResult['data'], ...(errors?.length ? { errors: format(errors) } : {}) };
    }
    const primary = { ...planned.primary, serviceName: EVENT_SERVICE };
    const queryPlan: QueryPlan = { kind: 'QueryPlan', node: { kind: 'Sequence', nodes: [primary, rest] } };
    const serviceMap: Record<string, GraphQLDataSource> = {
      ...options.dataSources,
      [EVENT_SERVICE]: { process: async () => ({ data: event.data ?? null, ...(event.errors ? { errors: event.errors } : {}) }) } as GraphQLDataSource,
    };
    const requestContext = {
      request: { variables },
      context,
      logger: context.logger,
      metrics: {},
    } as unknown as Parameters<typeof executeQueryPlan>[2];
    const result = await executeQueryPlan(queryPlan, serviceMap, requestContext, planned.operationContext, planned.supergraphSchema, planned.apiSchema);
    const errors = result.errors?.map((error) => {
      const json = error instanceof GraphQLError ? error.toJSON() : (error as GraphQLFormattedError);
      if (json.extensions?.serviceName === EVENT_SERVICE) return { ...json, extensions: { ...json.extensions, serviceName: planned.primary.serviceName } };
      return json;
    });
    return { data: (result.data ?? null) as FormattedExecutionResult['data'], ...(errors?.length ? { errors: format(errors) } : {}) };
  }

  const streams = new Map<string, SharedStream>();

  // Metric children labelled once per root field, not per event or per subscription.
  const fieldMetrics = new Map<string, { counts: { in: number; out: number }; latency: { observe(seconds: number): void } }>();
  const metricsFor = (field: string) => {
    let metrics = fieldMetrics.get(field);
    if (!metrics) {
      metrics = { counts: { in: 0, out: 0 }, latency: addedLatency.labels({ field }) };
      fieldMetrics.set(field, metrics);
    }
    return metrics;
  };

  // Clients send the same few operations again and again: one parsed, validated document per
  // query text serves them all (parsing and validation cost CPU, and each copy ~3 KB per
  // subscription held open).
  const documents = new Map<string, DocumentNode>();
  let documentsPlanner = options.planner;
  const validDocument = (query: string): DocumentNode | GraphQLError[] => {
    // Validated against the supergraph of their time: a reload starts over.
    if (documentsPlanner !== options.planner) {
      documents.clear();
      documentsPlanner = options.planner;
    }
    const cached = documents.get(query);
    if (cached) return cached;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return [new GraphQLError((error as Error).message, { extensions: { code: ErrorCode.GRAPHQL_PARSE_FAILED } })];
    }
    const validationErrors = validate(options.planner.graphqlApiSchema, document);
    if (validationErrors.length) {
      return validationErrors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: ErrorCode.GRAPHQL_VALIDATION_FAILED } }));
    }
    if (documents.size >= DOCUMENT_CACHE_SIZE) documents.delete(documents.keys().next().value as string);
    documents.set(query, document);
    return document;
  };

  function startSubscription(args: ExecutionArgs & { contextValue: OperationContext }, framing: Framing): ActiveSubscription | ExecutionResult {
    const { connection } = args.contextValue;
    const context = args.contextValue;
    const operationName = args.operationName ?? undefined;
    let planned;
    try {
      planned = options.planner.plan(args.document, operationName, (args.document.loc?.source.body ?? JSON.stringify(args.document)));
    } catch (error) {
      context.logger.error({ err: error }, 'subscription planning failed');
      return { errors: [internalError()] };
    }
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const field = planned.field;
    const subgraph = planned.primary.serviceName;
    const upstreamVariables = Object.fromEntries((planned.primary.variableUsages ?? []).filter((name) => name in variables).map((name) => [name, variables[name]]));
    // Identical subscriptions with identical credentials share one upstream stream and one
    // resolution per event (the subgraph is told the first subscriber's address).
    const streamKey = options.sharedFields?.has(field)
      ? JSON.stringify([subgraph, connection.authorization ?? '', planned.primary.operation, args.operationName ?? '', variables])
      : undefined;
    let stream = streamKey === undefined ? undefined : streams.get(streamKey);
    const isNewStream = !stream;
    if (!stream) {
      const created: SharedStream = new SharedStream(() => {
        if (streamKey !== undefined && streams.get(streamKey) === created) streams.delete(streamKey);
      });
      if (streamKey !== undefined) streams.set(streamKey, created);
      stream = created;
    }
    const shared = stream;

    const subscription: ActiveSubscription = new ActiveSubscription(framing, {
      send(message) {
        sendToConnection(connection, message);
      },
      release() {
        shared.remove(subscription);
        connection.subscriptions.delete(subscription);
        openTotal -= 1;
        const left = (openPerKey.get(connection.limitKey) ?? 1) - 1;
        if (left <= 0) openPerKey.delete(connection.limitKey);
        else openPerKey.set(connection.limitKey, left);
        open.dec({ field });
      },
    });
    connection.subscriptions.add(subscription);
    openTotal += 1;
    openPerKey.set(connection.limitKey, (openPerKey.get(connection.limitKey) ?? 0) + 1);
    open.inc({ field });
    shared.add(subscription);
    if (!isNewStream) return subscription;

    const { counts: fieldCounts, latency: fieldLatency } = metricsFor(field);
    // The subscription's span (its start); each event's span is its child, the subgraph's too.
    const traced = startSpan(tracer, `subscription ${field}`, { kind: SpanKind.SERVER, parent: context.traceContext, attributes: { 'graphql.operation.type': 'subscription', 'graphql.field': field, subgraph } });
    const sink: UpstreamSink = {
      next(event) {
        const receivedAt = performance.now();
        fieldCounts.in += 1;
        // An event published in a trace of its own (a reply's token, in its sendMessage's trace) is delivered in that trace.
        const published = traced && publishedTrace(event);
        const eventSpan = startSpan(tracer, 'subscription.event', {
          parent: published ?? traced?.context,
          links: published && traced ? [traced.context] : [],
          attributes: { 'graphql.field': field },
        });
        shared.deliver(
          () => runInContext(eventSpan?.context, () => resolveEvent(event, planned, variables, context)),
          () => {
            fieldLatency.observe((performance.now() - receivedAt) / 1000);
            fieldCounts.out += shared.listeners.size;
            eventSpan?.span.setAttribute('subscription.listeners', shared.listeners.size);
            eventSpan?.span.end();
          },
        );
      },
      error(error) {
        const upstreamErrors = Array.isArray(error) ? (error as GraphQLFormattedError[]) : undefined;
        const errors = upstreamErrors
          ? upstreamErrors.map((e) => ({ ...e, extensions: { ...e.extensions, serviceName: subgraph } }))
          : [{ message: `The ${subgraph} service ended the subscription unexpectedly`, extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: subgraph } }];
        if (!upstreamErrors) context.logger.warn({ subgraph }, 'upstream subscription lost');
        shared.end({ errors: format(errors) });
      },
      complete() {
        shared.end();
      },
    };
    shared.attachUpstream(
      pool.subscribe(subgraph, { authorization: connection.authorization, ip: connection.ip }, { query: planned.primary.operation, variables: upstreamVariables, operationName: planned.primary.operationName, requestId: context.requestId, trace: traceHeaders(traced?.context) }, sink),
    );
    traced?.span.end();
    return subscription;
  }

  /**
   * The checks every operation passes whatever its transport: edge (limits, trusted operations),
   * parse and validation, variables, and the subscription caps. Rate limits are counted by the
   * caller (per graphql-ws message, per HTTP request).
   */
  const admit = (
    connection: Connection,
    payload: OperationPayload,
    operationId: string,
    defaultRequestId: () => string,
    /** The trace the client's operation continues (its `traceparent`, wherever the transport carries it). */
    traceContext: TraceContext,
  ): (ExecutionArgs & { contextValue: OperationContext }) | Refusal => {
    const refuse = (status: number, errors: GraphQLError[]): Refusal => ({ status, errors });
    if (connection.refusal) return refuse(401, [unauthenticated(connection.refusal)]);
    const persisted = (payload.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
    const inspected = options.edge.inspect(
      {
        query: payload.query || undefined,
        operationName: payload.operationName ?? undefined,
        variables: payload.variables ?? undefined,
        documentId: payload.documentId ?? (typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined),
        persistedQuery: payload.documentId === undefined && typeof persisted?.sha256Hash === 'string',
      },
      'streaming',
    );
    if (!inspected.ok) return refuse(inspected.status, [new GraphQLError(inspected.error.message, { extensions: inspected.error.extensions })]);
    const query = inspected.query ?? payload.query;
    if (!query) return refuse(400, [new GraphQLError('The request has no query', { extensions: { code: 'BAD_USER_INPUT', field: 'query' } })]);
    const document = validDocument(query);
    if (Array.isArray(document)) return refuse(400, document);
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) return refuse(400, [new GraphQLError('Unknown operation', { extensions: { code: 'BAD_USER_INPUT', field: 'operationName' } })]);
    const coerced = getVariableValues(options.planner.graphqlApiSchema, operation.variableDefinitions ?? [], payload.variables ?? {});
    if (coerced.errors) {
      return refuse(400, coerced.errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'BAD_USER_INPUT', field: 'variables' } })));
    }
    if (operation.operation === 'subscription') {
      if (openTotal >= limits.maxTotal) {
        return refuse(429, [rateLimited(5, `This router has too many open subscriptions (${limits.maxTotal}); try again shortly`)]);
      }
      if ((openPerKey.get(connection.limitKey) ?? 0) >= limits.maxPerUser) {
        return refuse(429, [rateLimited(5, `Too many open subscriptions (at most ${limits.maxPerUser} per user)`)]);
      }
    }
    const extensionRequestId = (payload.extensions as { requestId?: string } | undefined)?.requestId;
    const requestId = extensionRequestId ? requestIdFrom(extensionRequestId) : defaultRequestId();
    return {
      schema: options.planner.graphqlApiSchema,
      document,
      operationName: payload.operationName ?? null,
      variableValues: payload.variables ?? {},
      contextValue: withTraceContext(contextFor(connection, requestId, operationId), traceContext),
    };
  };

  /** Queries and mutations run through the ordinary gateway pipeline, with the operation's context. */
  const executeAdmitted = async (args: ExecutionArgs) => {
    const { connection: _connection, operationId: _operationId, traceContext, ...context } = args.contextValue as OperationContext;
    // In the client's trace, as the same operation over plain HTTP would be.
    return runInContext(traceContext, () => options.executeOperation(
      {
        query: args.document.loc?.source.body ?? '',
        variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined,
        operationName: args.operationName ?? undefined,
      },
      context,
    ));
  };

  const cleanup = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: options.planner.graphqlApiSchema,
      onConnect: async (ctx) => {
        const param = ctx.connectionParams?.authorization;
        const authorization = typeof param === 'string' && param ? param : undefined;
        let viewer: Viewer | null;
        try {
          viewer = await viewerFromAuthorization(authorization, options.verifier);
        } catch {
          ctx.extra.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized');
          return false;
        }
        const { request, socket } = ctx.extra;
        ctx.extra.connection = openConnection(
          {
            viewer,
            authorization,
            ip: clientIp(request, options.trustProxy),
            userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : undefined,
            requestId: requestIdFrom(request.headers['x-request-id']),
          },
          {
            write: (message, written) => socket.send(message, written),
            drop: () => {
              socket.close(CLOSE_SLOW_CONSUMER, `Slow consumer: over ${limits.maxBufferedEvents} events waiting`);
              // A client that stopped reading will not answer the close handshake either.
              setTimeout(() => socket.terminate(), 1_000).unref();
            },
          },
        );
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const connection = ctx.extra.connection;
        if (!connection) return [unauthenticated()];
        if (connection.refusal) return [unauthenticated(connection.refusal)];
        const limited = await options.edge.rateLimit(connection.limitKey);
        if (limited) return [limited];
        const admitted = admit(
          connection,
          { query: payload.query || undefined, operationName: payload.operationName ?? undefined, variables: payload.variables ?? undefined, extensions: payload.extensions ?? undefined },
          id,
          randomUUID,
          // Per subscription (the subscribe message's extensions), else the connection's (connectionParams).
          extractTraceContext({ ...ctx.connectionParams, ...(payload.extensions as Record<string, unknown> | undefined) }),
        );
        if ('errors' in admitted) return admitted.errors;
        return admitted;
      },
      // graphql-ws only iterates the result; ActiveSubscription is an async iterator of results.
      subscribe: (args) => startSubscription(args as Parameters<typeof startSubscription>[0], graphqlWsFraming((args.contextValue as OperationContext).operationId)) as unknown as AsyncGenerator<ExecutionResult>,
      execute: async (args) => (await executeAdmitted(args)) as ExecutionResult,
      onError: (_ctx, _id, _payload, errors) => format(errors),
      // Every result here is already formatted (masked, coded); send it as it is.
      onNext: (_ctx, _id, _payload, _args, result) => result as FormattedExecutionResult,
      onClose: (ctx) => {
        if (ctx.extra.connection) closeConnection(ctx.extra.connection);
      },
    },
    wsServer,
  );

  /** Answers an operation refused before its stream began: a JSON error with its status. */
  const sendRefusal = (res: ServerResponse, refusal: Refusal) => {
    const retryAfter = refusal.errors.find((e) => e.extensions.code === 'RATE_LIMITED')?.extensions.retryAfterSeconds;
    sendJson(res, refusal.status, { errors: format(refusal.errors) }, retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
  };

  /**
   * One operation over an SSE or multipart response. The HTTP request was authenticated and
   * rate-limited like any other; from here it takes graphql-ws's path: the same admission, the
   * same caps, revocation and expiry, slow-consumer limit and shared upstream streams.
   */
  async function serveHttpStream(req: IncomingMessage, res: ServerResponse, transport: HttpStreamTransport, caller: Caller, bodyLimitBytes: number): Promise<void> {
    const wire = HTTP_STREAM_FORMATS[transport];
    const read = await readStreamedOperation(req, new URL(req.url ?? '/', 'http://localhost'), bodyLimitBytes);
    if (!read.ok) return sendJson(res, read.status, { errors: [read.error] });
    const connection = openConnection(caller, {
      write: (message, written) => {
        if (res.writableEnded || res.destroyed) return;
        res.write(message, written);
      },
      drop: () => res.destroy(),
    });
    // The HTTP request's span is active here: it continues the request's `traceparent` header.
    const admitted = admit(connection, read.operation, caller.requestId, () => caller.requestId, activeContext());
    if ('errors' in admitted) {
      closeConnection(connection);
      return sendRefusal(res, admitted);
    }
    const operation = getOperationAST(admitted.document, admitted.operationName)?.operation;
    if (req.method === 'GET' && operation === 'mutation') {
      closeConnection(connection);
      return sendRefusal(res, { status: 405, errors: [new GraphQLError('Mutations are sent with POST', { extensions: { code: 'BAD_USER_INPUT', field: 'method' } })] });
    }
    const begin = () => {
      res.writeHead(200, { 'content-type': wire.contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no', 'x-request-id': caller.requestId });
      // The first event must not wait for the headers, nor for Nagle.
      res.socket?.setNoDelay(true);
      res.flushHeaders();
      if (wire.opening) res.write(wire.opening);
    };
    const end = () => {
      closeConnection(connection);
      if (!res.writableEnded && !res.destroyed) res.end(wire.closing);
    };
    if (operation !== 'subscription') {
      // A query or mutation: its one result, then the stream's end.
      const result = await executeAdmitted(admitted);
      begin();
      res.write(wire.framing.next(JSON.stringify(result)));
      return end();
    }
    const started = startSubscription(admitted, wire.framing);
    if (!(started instanceof ActiveSubscription)) {
      closeConnection(connection);
      return sendJson(res, 500, { errors: started.errors ? format(started.errors) : [] });
    }
    begin();
    const heartbeatMs = transport === 'sse' ? (options.sseKeepAliveMs ?? wire.heartbeatMs) : wire.heartbeatMs;
    const heartbeat = setInterval(() => sendToConnection(connection, wire.heartbeat), heartbeatMs);
    heartbeat.unref();
    // The client went away: the subscription (and its upstream, when no one else shares it) ends.
    res.once('close', () => void started.return());
    // Resolves when the subscription ends, whichever side ended it.
    await started.next();
    clearInterval(heartbeat);
    end();
  }

  return {
    wsServer,
    serveHttpStream,
    stats: () => ({ connections: connections.size, subscriptions: openTotal, upstreamSockets: pool.openSockets }),
    async dispose() {
      stopListening();
      for (const connection of connections) for (const subscription of connection.subscriptions) void subscription.return();
      for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
      await cleanup.dispose();
      await pool.close();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}

export type SubscriptionServer = ReturnType<typeof attachSubscriptionServer>;

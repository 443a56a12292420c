import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import { HeaderMap, type ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import type { TrustProxy } from '@voiceassist/client-address';
import { BodyTooLargeError, listenHttp, readBody, requestIdFrom, sendGraphQLError, sendInternalError, sendJson } from '@voiceassist/http-io';
import type { Logger } from '@voiceassist/logging';
import { SpanKind, activeSpan, extractTraceContext, runInContext, serviceTracer, startSpan, type Span } from '@voiceassist/tracing';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Why a subscription sent as a plain HTTP request (one response, no stream) cannot run, and how
 * to subscribe instead. The router and every subgraph answer it alike.
 */
export function subscriptionNeedsStream(): GraphQLError {
  return new GraphQLError(
    'A subscription needs a stream, not one JSON response: POST it to the router\'s /graphql with Accept: text/event-stream (GraphQL over SSE) or Accept: multipart/mixed;subscriptionSpec="1.0" (Apollo multipart), or connect there with graphql-ws (WebSocket subprotocol graphql-transport-ws, access token as connectionParams.authorization)',
    { extensions: { code: 'BAD_USER_INPUT', field: 'query', reason: 'SUBSCRIPTION_NEEDS_STREAM', http: { status: 400 } } },
  );
}

/** One operation of a GraphQL-over-HTTP request, from a POST body or GET parameters. */
export interface OperationRequest {
  query?: string | undefined;
  operationName?: string | undefined;
  variables?: Record<string, unknown> | undefined;
  extensions?: Record<string, unknown> | undefined;
  /** GraphQL over HTTP's persisted-document id (or Apollo's persistedQuery hash). */
  documentId?: string | undefined;
  /** The id is Apollo's `extensions.persistedQuery.sha256Hash` (automatic persisted queries). */
  persistedQuery?: boolean | undefined;
}

export type InspectResult =
  | { ok: true; /** Replaces the document (an id resolved to its text). */ query?: string | undefined }
  | { ok: false; status: number; error: GraphQLFormattedError; headers?: Record<string, string> };

export interface GraphQLHandlerOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  context: () => Promise<TContext>;
  bodyLimitBytes: number;
  /** Checks (and may rewrite or refuse) each operation before Apollo parses it. */
  inspect?: (operation: OperationRequest) => Promise<InspectResult> | InspectResult;
  /** Operations per batched (array) POST; 0 refuses batches. */
  maxBatchSize?: number;
  /** gzip / brotli for responses over 1 KiB when the client accepts them. */
  compress?: boolean;
}

const COMPRESS_MIN_BYTES = 1024;

/**
 * The last response body and its UTF-8 bytes. Identical concurrent queries that share one
 * execution are answered with the same serialised string (see the router's stringifyResult), so
 * each is encoded once instead of once per client; a different body costs one comparison
 * (pointer-equal strings compare at once, others stop at the first difference or length).
 */
let lastPayload: { text: string; bytes: Buffer } | undefined;
function utf8Once(text: string): Buffer {
  if (lastPayload?.text === text) return lastPayload.bytes;
  const bytes = Buffer.from(text, 'utf8');
  lastPayload = { text, bytes };
  return bytes;
}

function parseJsonParam(value: string | null): Record<string, unknown> | undefined | 'invalid' {
  if (value === null || value === '') return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : 'invalid';
  } catch {
    return 'invalid';
  }
}

function operationFromBody(body: unknown): OperationRequest {
  const record = (body ?? {}) as Record<string, unknown>;
  const extensions = record.extensions && typeof record.extensions === 'object' ? (record.extensions as Record<string, unknown>) : undefined;
  const persisted = extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  const documentId = typeof record.documentId === 'string' ? record.documentId : typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
  return {
    query: typeof record.query === 'string' ? record.query : undefined,
    operationName: typeof record.operationName === 'string' ? record.operationName : undefined,
    variables: record.variables && typeof record.variables === 'object' ? (record.variables as Record<string, unknown>) : undefined,
    extensions,
    documentId,
    persistedQuery: typeof record.documentId !== 'string' && documentId !== undefined,
  };
}

function prefersGraphQLResponse(req: IncomingMessage) {
  return (req.headers.accept ?? '').includes('application/graphql-response+json');
}

function refuse(req: IncomingMessage, res: ServerResponse, result: Extract<InspectResult, { ok: false }>) {
  const payload = JSON.stringify({ errors: [result.error] });
  res.writeHead(result.status, {
    'content-type': `${prefersGraphQLResponse(req) ? 'application/graphql-response+json' : 'application/json'}; charset=utf-8`,
    'content-length': Buffer.byteLength(payload),
    ...result.headers,
  });
  res.end(payload);
}

/**
 * The one operation of a request that is answered as a stream (SSE, multipart): from a JSON
 * POST body or GET parameters; no batches.
 */
export async function readStreamedOperation(req: IncomingMessage, url: URL, bodyLimitBytes: number): Promise<{ ok: true; operation: OperationRequest } | Extract<InspectResult, { ok: false }>> {
  const invalid = (message: string, field: string) => ({ ok: false as const, status: 400, error: { message, extensions: { code: 'BAD_USER_INPUT', field } } });
  if (req.method === 'GET') {
    const variables = parseJsonParam(url.searchParams.get('variables'));
    const extensions = parseJsonParam(url.searchParams.get('extensions'));
    if (variables === 'invalid') return invalid('variables must be a JSON object', 'variables');
    if (extensions === 'invalid') return invalid('extensions must be a JSON object', 'extensions');
    const params = { query: url.searchParams.get('query') ?? undefined, operationName: url.searchParams.get('operationName') ?? undefined, documentId: url.searchParams.get('documentId') ?? undefined, variables, extensions };
    return { ok: true, operation: operationFromBody(params) };
  }
  let raw: string;
  try {
    raw = await readBody(req, bodyLimitBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { ok: false, status: 413, error: { message: error.message, extensions: { code: 'BAD_USER_INPUT', field: 'body', limit: 'bodySize' } } };
    throw error;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return invalid('Request body is not valid JSON', 'body');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return invalid('The request body must be one operation (a JSON object)', 'body');
  return { ok: true, operation: operationFromBody(body) };
}

/** Serves an Apollo Server on plain node:http (no framework), so router and subgraphs share it. */
export async function handleGraphQLRequest<TContext extends BaseContext>(
  req: IncomingMessage,
  res: ServerResponse,
  { server, context, bodyLimitBytes, inspect, maxBatchSize = 0, compress = false }: GraphQLHandlerOptions<TContext>,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  let body: unknown;
  if (method === 'POST') {
    let raw: string;
    try {
      raw = await readBody(req, bodyLimitBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendGraphQLError(res, 413, error.message, { code: 'BAD_USER_INPUT', field: 'body', limit: 'bodySize' });
        return;
      }
      throw error;
    }
    const contentType = headers.get('content-type') ?? '';
    if (contentType.includes('json')) {
      try {
        body = raw.length ? JSON.parse(raw) : undefined;
      } catch {
        sendGraphQLError(res, 400, 'Request body is not valid JSON', { code: 'BAD_USER_INPUT', field: 'body' });
        return;
      }
    } else {
      body = raw;
    }
    if (Array.isArray(body)) {
      if (maxBatchSize === 0 || body.length > maxBatchSize) {
        const message = maxBatchSize === 0 ? 'Batched requests are not accepted' : `A batch may hold at most ${maxBatchSize} operations`;
        sendGraphQLError(res, 400, message, { code: 'BAD_USER_INPUT', field: 'body', limit: 'batch', max: maxBatchSize });
        return;
      }
    }
    if (inspect && body && typeof body === 'object') {
      const items = Array.isArray(body) ? body : [body];
      for (const item of items) {
        const result = await inspect(operationFromBody(item));
        if (!result.ok) return refuse(req, res, result);
        if (result.query !== undefined && item && typeof item === 'object') {
          const record = item as Record<string, unknown>;
          record.query = result.query;
          // The document now travels in full; Apollo's own persisted-query cache is not involved.
          if (record.extensions && typeof record.extensions === 'object') delete (record.extensions as Record<string, unknown>).persistedQuery;
          delete record.documentId;
        }
      }
    }
  } else if (inspect && method === 'GET' && (url.searchParams.has('query') || url.searchParams.has('documentId') || url.searchParams.has('extensions'))) {
    const variables = parseJsonParam(url.searchParams.get('variables'));
    const extensions = parseJsonParam(url.searchParams.get('extensions'));
    if (variables !== 'invalid' && extensions !== 'invalid') {
      const persisted = extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
      const persistedHash = typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
      const result = await inspect({
        query: url.searchParams.get('query') ?? undefined,
        operationName: url.searchParams.get('operationName') ?? undefined,
        variables,
        extensions,
        documentId: url.searchParams.get('documentId') ?? persistedHash,
        persistedQuery: !url.searchParams.has('documentId') && persistedHash !== undefined,
      });
      if (!result.ok) return refuse(req, res, result);
      if (result.query !== undefined) {
        url.searchParams.set('query', result.query);
        url.searchParams.delete('documentId');
      }
    }
  }
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method, headers, search: url.search, body },
    context,
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    if (res.statusCode === 400 && isLegacyJsonRequestError(response.headers.get('content-type'), response.body.string)) res.statusCode = 200;
    let payload = utf8Once(response.body.string);
    if (compress && payload.length >= COMPRESS_MIN_BYTES) {
      const accepted = String(req.headers['accept-encoding'] ?? '');
      const encoding = /\bbr\b/.test(accepted) ? 'br' : /\bgzip\b/.test(accepted) ? 'gzip' : undefined;
      if (encoding) {
        payload = encoding === 'br' ? await brotli(payload, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } }) : await gzipAsync(payload);
        res.setHeader('content-encoding', encoding);
      }
      res.setHeader('vary', [res.getHeader('vary'), 'Accept-Encoding'].filter(Boolean).join(', '));
    }
    res.setHeader('content-length', payload.length);
    res.end(payload);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

const DOCUMENT_FAILURES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']);

/**
 * GraphQL over HTTP: with `application/json` responses, a well-formed request whose document
 * fails to parse or validate, or whose variables fail to coerce, is answered 200 (only
 * `application/graphql-response+json` uses 4xx). Apollo answers 400 for both.
 */
function isLegacyJsonRequestError(contentType: string | undefined, body: string): boolean {
  if (!contentType?.startsWith('application/json')) return false;
  try {
    const parsed = JSON.parse(body) as { data?: unknown; errors?: Array<{ extensions?: { code?: string; reason?: string } }> };
    if (parsed.data !== undefined || !parsed.errors?.length) return false;
    return parsed.errors.every((e) => DOCUMENT_FAILURES.has(e.extensions?.code ?? '') || (e.extensions?.code === 'BAD_USER_INPUT' && !e.extensions.reason));
  } catch {
    return false;
  }
}

/** Logs one JSON line per operation: id, name, duration and error codes; never variables. */
export function operationLogPlugin<T extends { requestId: string; logger: Logger }>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart({ contextValue }) {
      const started = Date.now();
      return {
        async willSendResponse({ operationName, errors, operation }) {
          contextValue.logger.info(
            {
              operationName: operationName ?? null,
              operationType: operation?.operation ?? null,
              durationMs: Date.now() - started,
              errorCodes: errors?.map((e) => e.extensions?.code ?? 'INTERNAL_SERVER_ERROR') ?? [],
            },
            'graphql operation',
          );
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            if (!code || code === 'INTERNAL_SERVER_ERROR') {
              contextValue.logger.error({ err: error.originalError ?? error, path: error.path }, 'unexpected error');
            }
          }
        },
      };
    },
  };
}

/**
 * Stops the server on SIGINT/SIGTERM, letting in-flight requests finish. A repeated signal is
 * ignored rather than fatal: a process manager (pnpm, a shell) forwards the signal the process
 * group already received, and dying of that second copy would turn a clean stop into a failure.
 */
export function closeOnSignals(close: () => Promise<void>, logger: Logger) {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

/** What a service's /ready reports: whether it can serve, and what it checked. */
export interface Readiness {
  ready: boolean;
  /** Added to the /ready body beside `status` and `service`. */
  details: Record<string, unknown>;
}

/** A dependency the service keeps serving without, degraded (Redis): its state is known without a round trip. */
export interface DegradableDependency {
  readonly up: boolean;
  /** Why it is down, when known; logged with the transition. */
  readonly reason?: string | undefined;
  /** Called once per transition, not per failed reconnect; returns the removal function. */
  onChange(listener: (up: boolean) => void): () => void;
}

/** What a service depends on, for /ready and /health. */
export interface ServiceDependencies {
  /** Checked by each /ready; one that throws leaves the service unable to serve (503). */
  required?: Record<string, () => Promise<unknown>>;
  /** Listed as `degraded` by /ready (still 200) and /health while down; each transition is logged once. */
  degradable?: Record<string, DegradableDependency>;
  /**
   * Checked by each /health and named in its detail, never making the service unready: a
   * replica waiting on them still serves (revocation sync: tokens are refused meanwhile).
   */
  reported?: Record<string, () => Promise<unknown>>;
}

export interface ServiceRequestOptions {
  service: string;
  logger: Logger;
  /** Whether its required dependencies are there. */
  readiness(): Promise<Readiness>;
  /** Added to the /health body: the state of what it talks to, which never makes it unready. */
  health?(): Promise<Record<string, unknown>>;
  degradable?: ServiceDependencies['degradable'];
  /** The service's own routes (GraphQL, console…): true when it answered the request. */
  route(req: IncomingMessage, res: ServerResponse, request: { url: URL; requestId: string }): Promise<boolean>;
}

/**
 * Answers every request to a service's HTTP server, router or subgraph alike: a request id
 * (the caller's if it looks like one) on the request and the response, the service's own routes,
 * then /health (alive: always 200, naming degraded dependencies and its health detail) and /ready (200 ready or degraded,
 * 503 when a required dependency is away), 404 for anything else (/metrics included: see serveMetrics),
 * 400 for a target that is not a URL,
 * and a bare 500 for a failure (logged with the request id, never sent).
 */
export function serveServiceRequests(server: Server, options: ServiceRequestOptions): void {
  const { service, logger } = options;
  const degradable = Object.entries(options.degradable ?? {});
  const degraded = () => degradable.filter(([, dependency]) => !dependency.up).map(([name]) => name);
  for (const [name, dependency] of degradable) {
    const report = (up: boolean) =>
      up ? logger.info({ dependency: name }, `${name} available again`) : logger.warn({ dependency: name, reason: dependency.reason }, `${name} unavailable`);
    server.once('close', dependency.onChange(report));
    if (!dependency.up) report(false);
  }
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const requestId = requestIdFrom(req.headers['x-request-id']);
      req.headers['x-request-id'] = requestId;
      res.setHeader('x-request-id', requestId);
      // Node accepts any request target (`GET http://[`); one URL cannot parse is the caller's
      // mistake, and thrown here it would be an unhandled rejection that ends the process.
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        sendJson(res, 400, { error: 'Bad request target' });
        return;
      }
      const path = url.pathname;
      const traced = path === '/health' || path === '/ready' ? undefined : startRequestSpan(service, req, path);
      if (traced) res.once('close', () => endRequestSpan(traced.span, res));
      await runInContext(traced?.context, () => answer(req, res, url, requestId));
    })();
  });

  async function answer(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string) {
    const path = url.pathname;
    try {
      if (await options.route(req, res, { url, requestId })) return;
      if (path === '/health' && req.method === 'GET') {
        const down = degraded();
        const detail = (await options.health?.()) ?? {};
        sendJson(res, 200, { status: 'ok', service, ...(down.length > 0 ? { degraded: down } : {}), ...detail });
      } else if (path === '/ready' && req.method === 'GET') {
        const { ready, details } = await options.readiness();
        const down = degraded();
        const status = !ready ? 'unavailable' : down.length > 0 ? 'degraded' : 'ready';
        sendJson(res, ready ? 200 : 503, { status, service, ...(down.length > 0 ? { degraded: down } : {}), ...details });
      } else {
        sendJson(res, 404, { error: 'Not found' });
      }
    } catch (error) {
      logger.error({ err: error, requestId, path }, 'request failed');
      sendInternalError(res);
    }
  }
}

/** The server span of one request, continuing the caller's trace (its `traceparent`); the path only, never the query string. */
function startRequestSpan(service: string, req: IncomingMessage, path: string) {
  const method = req.method ?? 'GET';
  return startSpan(serviceTracer(service), `${method} ${path}`, {
    kind: SpanKind.SERVER,
    parent: extractTraceContext(req.headers),
    attributes: { 'http.request.method': method, 'url.path': path },
  });
}

function endRequestSpan(span: Span, res: ServerResponse) {
  span.setAttribute('http.response.status_code', res.statusCode);
  if (res.statusCode >= 500) span.setStatus({ code: 2 });
  span.end();
}

/**
 * Names the request's span after its operation (`mutation sendMessage`: type and name, never the
 * document or variables) and times parsing and validation in spans of their own.
 */
export function tracingPlugin<T extends BaseContext>(service: string): ApolloServerPlugin<T> {
  const tracer = serviceTracer(service);
  const phase = (name: string) => {
    const started = startSpan(tracer, name);
    return async (error?: unknown) => {
      if (!started) return;
      if (error) started.span.setStatus({ code: 2 });
      started.span.end();
    };
  };
  return {
    async requestDidStart() {
      const span = activeSpan();
      if (!span) return {};
      return {
        async parsingDidStart() {
          return phase('graphql.parse');
        },
        async validationDidStart() {
          const end = phase('graphql.validate');
          return async (errors?: readonly unknown[]) => end(errors?.length ? errors[0] : undefined);
        },
        async didResolveOperation({ operation, operationName }) {
          const type = operation?.operation ?? 'unknown';
          span.setAttribute('graphql.operation.type', type);
          if (operationName) span.setAttribute('graphql.operation.name', operationName);
          span.updateName(operationName ? `${type} ${operationName}` : type);
        },
      };
    },
  };
}

/** What a metrics listener serves: a service's Prometheus registry rendered as text. */
export interface MetricsSource {
  render(): Promise<{ contentType: string; body: string }>;
}

/** Where a service serves its metrics (METRICS_PORT, METRICS_HOST); loopback unless told. */
export interface MetricsListener {
  port: number;
  host: string;
}

/**
 * Prometheus `/metrics` on a listener of its own, never the public port: process, heap and
 * operation numbers are for the operator's scraper, which reaches a port clients do not.
 */
export function createMetricsServer(metrics: MetricsSource, logger: Logger): Server {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || req.method !== 'GET') {
      sendJson(res, 404, { error: 'Not found' });
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'metrics failed');
        sendJson(res, 500, { error: 'Internal server error' });
      },
    );
  });
  return server;
}

/** Starts the metrics listener beside a service's own; resolves to its URL. */
export async function listenMetrics(server: Server, listener: MetricsListener, logger: Logger): Promise<string> {
  const { url } = await listenHttp(server, listener.port, listener.host);
  logger.info({ url: `${url}/metrics` }, 'metrics listening');
  return `${url}/metrics`;
}

/** What a service's HTTP servers take from the common environment (packages/env commonEnvShape). */
export interface ServiceHttpOptions {
  /** Stack traces and unexpected errors' messages in responses (ERRORS_INCLUDE_STACKTRACE). */
  includeStacktrace: boolean;
  /** Which proxies may name the client (TRUST_PROXY). */
  trustProxy: TrustProxy;
  /** Where /metrics is served; not at all when absent. */
  metricsListener?: MetricsListener | undefined;
}

export function serviceHttpOptions(env: { ERRORS_INCLUDE_STACKTRACE: boolean; TRUST_PROXY: TrustProxy; METRICS_PORT?: number | undefined; METRICS_HOST: string }): ServiceHttpOptions {
  return {
    includeStacktrace: env.ERRORS_INCLUDE_STACKTRACE,
    trustProxy: env.TRUST_PROXY,
    metricsListener: env.METRICS_PORT === undefined ? undefined : { port: env.METRICS_PORT, host: env.METRICS_HOST },
  };
}

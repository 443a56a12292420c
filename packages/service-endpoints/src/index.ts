import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { TrustProxy } from '@voiceassist/client-address';
import { listenHttp, requestIdFrom, sendInternalError, sendJson } from '@voiceassist/http-io';
import type { Logger } from '@voiceassist/logging';
import { SpanKind, extractTraceContext, runInContext, serviceTracer, startSpan, type Span } from '@voiceassist/tracing';

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
 * 503 when a required dependency is away), 404 for anything else (/metrics included: see createMetricsServer),
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

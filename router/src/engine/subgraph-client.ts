import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Histogram } from '@voiceassist/metrics';
import { SpanKind, injectTraceContext, libraryTracer, withSpan } from '@voiceassist/tracing';
import type { RouterContext } from '../context.js';

export interface SubgraphError {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

export interface SubgraphResponse {
  data?: Record<string, unknown> | null;
  errors?: SubgraphError[];
}

export interface SubgraphRequest {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
}

const MAX_SOCKETS_PER_SUBGRAPH = 128;
/**
 * Idle keep-alive sockets are closed before Node's servers close theirs (5 s by default): a
 * request written on a socket the subgraph is closing fails with ECONNRESET.
 */
const IDLE_SOCKET_MS = 4_000;
// The router's engine runs inside the router's request span: its spans take the router's name.
const tracer = libraryTracer('router-engine');

/**
 * Calls one subgraph over keep-alive HTTP for the engine, as the gateway's data source does
 * (subgraph-data-source.ts): the caller's identity and tracing headers forwarded, one timeout per
 * fetch, the latency histogram, and transport failures as coded errors naming the subgraph only.
 */
export class SubgraphClient {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(
    readonly name: string,
    url: string,
    private readonly latency: Histogram<'subgraph' | 'outcome'>,
    private readonly timeoutMs: number,
  ) {
    this.url = new URL(url);
    const https = this.url.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS_PER_SUBGRAPH, timeout: IDLE_SOCKET_MS };
    this.agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.send = https ? (httpsRequest as typeof httpRequest) : httpRequest;
  }

  fetch(request: SubgraphRequest, context: RouterContext | undefined): Promise<SubgraphResponse> {
    return withSpan(tracer, 'subgraph.fetch', { kind: SpanKind.CLIENT, attributes: { subgraph: this.name } }, () => this.fetchOnce(request, context));
  }

  private async fetchOnce(request: SubgraphRequest, context: RouterContext | undefined): Promise<SubgraphResponse> {
    const stop = this.latency.startTimer({ subgraph: this.name });
    try {
      const { status, body } = await this.post(JSON.stringify(request), context, !MUTATION.test(request.query));
      const parsed = parseBody(body);
      if (status < 200 || status >= 300) {
        stop({ outcome: 'graphql_error' });
        const first = parsed?.errors?.[0];
        const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : 'DOWNSTREAM_SERVICE_ERROR';
        return { errors: [{ message: first?.message ?? `The ${this.name} service answered ${status}`, extensions: { code } }] };
      }
      if (!parsed) throw new Error(`The ${this.name} service answered something other than GraphQL JSON`);
      stop({ outcome: parsed.errors?.length ? 'graphql_error' : 'ok' });
      return parsed;
    } catch (error) {
      stop({ outcome: 'unavailable' });
      context?.logger?.warn({ subgraph: this.name, err: error }, 'subgraph fetch failed');
      return { errors: [{ message: `The ${this.name} service is unavailable`, extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } }] };
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private async post(body: string, context: RouterContext | undefined, resendable: boolean): Promise<{ status: number; body: string }> {
    try {
      return await this.postOnce(body, context);
    } catch (error) {
      // The subgraph closed a kept-alive socket as the request went out on it: almost always it
      // never read the request, so a query goes again on a fresh socket (Node's advice for
      // keep-alive agents). Never a mutation: a subgraph that crashed after reading it would run it twice.
      if (!(error instanceof ReusedSocketReset) || !resendable) throw error;
      return this.postOnce(body, context);
    }
  }

  private postOnce(body: string, context: RouterContext | undefined): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    };
    if (context?.authorization) headers.authorization = context.authorization;
    if (context?.requestId) headers['x-request-id'] = context.requestId;
    if (context?.ip) headers['x-forwarded-for'] = context.ip;
    if (context?.userAgent) headers['user-agent'] = context.userAgent;
    injectTraceContext(headers);
    return new Promise((resolve, reject) => {
      const req = this.send(
        this.url,
        { method: 'POST', agent: this.agent, headers, signal: AbortSignal.timeout(this.timeoutMs) },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => reject(req.reusedSocket && error.code === 'ECONNRESET' ? new ReusedSocketReset(error) : error));
      req.end(body);
    });
  }
}

const MUTATION = /^\s*mutation\b/;

class ReusedSocketReset extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

function parseBody(body: string): SubgraphResponse | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as SubgraphResponse) : undefined;
  } catch {
    return undefined;
  }
}

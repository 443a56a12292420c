import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { Histogram } from '@voiceassist/metrics';
import { injectTraceContext } from '@voiceassist/tracing';
import type { RouterContext } from './context.js';

type FetcherResponse = Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0];
type GatewayResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/**
 * Calls one subgraph on behalf of the caller: forwards identity and tracing headers, times
 * each fetch, and turns transport failures into coded errors that name the subgraph without
 * exposing internal addresses.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    readonly name: string,
    url: string,
    private readonly latency: Histogram<'subgraph' | 'outcome'>,
    timeoutMs: number,
  ) {
    super({
      url,
      // A hung subgraph must not hold the client's request (and router memory) forever.
      fetcher: ((input: string, init?: RequestInit) =>
        fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as unknown as RemoteGraphQLDataSource['fetcher'],
    });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>) {
    const headers = request.http?.headers;
    if (!headers || !context) return;
    if (context.authorization) headers.set('authorization', context.authorization);
    if (context.requestId) headers.set('x-request-id', context.requestId);
    if (context.ip) headers.set('x-forwarded-for', context.ip);
    if (context.userAgent) headers.set('user-agent', context.userAgent);
    // Runs inside Apollo Gateway's `gateway.fetch` span: the subgraph's span becomes its child.
    const trace: Record<string, string> = {};
    injectTraceContext(trace);
    for (const [name, value] of Object.entries(trace)) headers.set(name, value);
  }

  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<GatewayResponse> {
    const stop = this.latency.startTimer({ subgraph: this.name });
    try {
      const response = await super.process(options);
      stop({ outcome: response.errors?.length ? 'graphql_error' : 'ok' });
      return response;
    } catch (error) {
      stop({ outcome: 'unavailable' });
      const extensions = (error as { extensions?: Record<string, unknown> }).extensions;
      if (typeof extensions?.code === 'string' && extensions.code !== 'DOWNSTREAM_SERVICE_ERROR') {
        return { errors: [{ message: (error as Error).message, extensions: { code: extensions.code } }] } as GatewayResponse;
      }
      options.context?.logger?.warn({ subgraph: this.name, err: error }, 'subgraph fetch failed');
      return {
        errors: [{ message: `The ${this.name} service is unavailable`, extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } }],
      } as GatewayResponse;
    }
  }

  /** Keeps the subgraph's own error and code for non-2xx replies, without its URL or body. */
  override async errorFromResponse(response: FetcherResponse) {
    const error = await super.errorFromResponse(response);
    const body = (error.extensions.response as { body?: { errors?: Array<{ message?: string; extensions?: { code?: string } }> } } | undefined)?.body;
    const first = typeof body === 'object' ? body?.errors?.[0] : undefined;
    const code = first?.extensions?.code ?? (typeof error.extensions.code === 'string' ? error.extensions.code : 'DOWNSTREAM_SERVICE_ERROR');
    const message = first?.message ?? `The ${this.name} service answered ${response.status}`;
    return new GraphQLError(message, { extensions: { code } });
  }
}

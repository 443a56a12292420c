import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { createClient, type Client, type ClientOptions } from 'graphql-ws/client';
import { GraphQLRequestError, type GraphQLErrorShape } from './errors.js';
import type { TokenGetter, VariablesArgument } from './fetch.js';

export type { Client as SubscriptionClient };

export interface SubscriptionClientOptions extends Omit<ClientOptions, 'url' | 'connectionParams'> {
  /** The router's graphql-ws endpoint, e.g. ws://localhost:4000/graphql. */
  url: string;
  /** Read on every (re)connect and sent as `connectionParams: { authorization: "Bearer <token>" }`. */
  getToken?: TokenGetter;
}

/**
 * A graphql-ws client for the router: lazy (connects with the first operation), authenticated
 * from the token getter on each connect, retrying dropped connections. In Node pass
 * `webSocketImpl` (the `ws` package); browsers use their own WebSocket.
 */
export function createSubscriptionClient({ getToken, ...options }: SubscriptionClientOptions): Client {
  return createClient({
    lazy: true,
    retryAttempts: 5,
    ...options,
    connectionParams: async () => {
      const token = await getToken?.();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  });
}

export interface SubscriptionSink<TResult> {
  next(data: TResult): void;
  /** Errors from the server (GraphQLRequestError with their codes), or the connection closing for good. */
  error?(error: GraphQLRequestError): void;
  complete?(): void;
}

function closeError(event: unknown): GraphQLRequestError {
  const close = event as { code?: unknown; reason?: unknown };
  const code = typeof close.code === 'number' ? close.code : undefined;
  const reason = typeof close.reason === 'string' && close.reason ? close.reason : 'The connection closed';
  return new GraphQLRequestError([{ message: reason, extensions: { code: code === 4401 || code === 4403 ? 'UNAUTHENTICATED' : 'CONNECTION_CLOSED', closeCode: code } }], 0);
}

/**
 * Subscribes with a generated typed document; each event's data goes to `next`, errors (event
 * errors, operation errors, a fatal close) to `error`. Returns the unsubscribe function.
 */
export function subscribe<TResult, TVariables>(
  client: Client,
  document: DocumentTypeDecoration<TResult, TVariables>,
  sink: SubscriptionSink<TResult>,
  ...[variables]: VariablesArgument<TVariables>
): () => void {
  return client.subscribe<TResult>(
    { query: String(document), variables: (variables ?? {}) as Record<string, unknown> },
    {
      next(result) {
        if (result.errors?.length) sink.error?.(new GraphQLRequestError(result.errors as GraphQLErrorShape[], 200, result.data));
        else if (result.data) sink.next(result.data);
      },
      error(error) {
        if (Array.isArray(error)) sink.error?.(new GraphQLRequestError(error as GraphQLErrorShape[], 200));
        else if (error instanceof Error) sink.error?.(new GraphQLRequestError([{ message: error.message, extensions: { code: 'CONNECTION_CLOSED' } }], 0));
        else sink.error?.(closeError(error));
      },
      complete() {
        sink.complete?.();
      },
    },
  );
}

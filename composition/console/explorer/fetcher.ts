import { getOperationAST, parse, type FormattedExecutionResult } from 'graphql';
import { createClient } from 'graphql-ws';

type Result = FormattedExecutionResult<Record<string, unknown>, unknown>;

/** What GraphiQL hands a fetcher: the operation and the headers editor's JSON. */
export interface ExplorerRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}
export interface ExplorerRequestOptions {
  headers?: Record<string, unknown>;
}

/** The router's GraphQL endpoint on this origin, whatever page the explorer was opened at. */
export function routerEndpoints(location: Pick<Location, 'origin'>) {
  const http = `${location.origin}/graphql`;
  return { http, ws: http.replace(/^http/, 'ws') };
}

// From the text sent, not GraphiQL's documentAST, which may still be the editor's previous text.
const isSubscription = (request: ExplorerRequest) => {
  try {
    return getOperationAST(parse(request.query), request.operationName ?? undefined)?.operation === 'subscription';
  } catch {
    // Not parseable: let the router say why.
    return false;
  }
};

const stringHeaders = (headers: Record<string, unknown> | undefined) =>
  Object.fromEntries(Object.entries(headers ?? {}).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value]] : [])));

/**
 * Queries and mutations over HTTP, subscriptions over graphql-ws (one connection per
 * subscription, so each uses the headers as they are when it starts): the headers editor's
 * Authorization goes into `connectionParams.authorization`, which is where the router reads it.
 */
export function createRouterFetcher(endpoints: { http: string; ws: string }) {
  return (request: ExplorerRequest, options?: ExplorerRequestOptions): Promise<Result> | AsyncIterable<Result> => {
    const headers = stringHeaders(options?.headers);
    const body = { query: request.query, operationName: request.operationName ?? undefined, variables: request.variables ?? undefined };
    if (isSubscription(request)) {
      const authorization = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
      return subscribe(endpoints.ws, body, authorization);
    }
    return fetch(endpoints.http, {
      method: 'POST',
      headers: { accept: 'application/graphql-response+json, application/json', ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((response) => response.json() as Promise<Result>);
  };
}

async function* subscribe(url: string, body: { query: string; operationName?: string | undefined; variables?: Record<string, unknown> | undefined }, authorization: string | undefined) {
  const client = createClient({ url, lazy: true, retryAttempts: 0, connectionParams: authorization ? { authorization } : {} });
  try {
    yield* client.iterate(body);
  } finally {
    await client.dispose();
  }
}

import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { GraphQLRequestError, type GraphQLErrorShape } from './errors.js';

/** A token getter: the current access token, or nothing when signed out. */
export type TokenGetter = () => string | null | undefined | Promise<string | null | undefined>;

export type ResultOf<TDocument> = TDocument extends DocumentTypeDecoration<infer TResult, unknown> ? TResult : never;
export type VariablesOf<TDocument> = TDocument extends DocumentTypeDecoration<unknown, infer TVariables> ? TVariables : never;

/** No argument for operations without variables; otherwise the variables, required when any is. */
export type VariablesArgument<TVariables> = [TVariables] extends [Record<string, never>]
  ? [variables?: TVariables]
  : Record<string, never> extends TVariables
    ? [variables?: TVariables]
    : [variables: TVariables];

export interface ExecutionResult<TResult> {
  status: number;
  data?: TResult | null;
  errors?: GraphQLErrorShape[];
}

export interface GraphQLFetchOptions {
  /** The router's GraphQL endpoint, e.g. http://localhost:4000/graphql or /graphql in a page it serves. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when it returns one. */
  getToken?: TokenGetter;
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
}

export interface GraphQLFetch {
  /** The whole response: data and errors as the router sent them. */
  request<TResult, TVariables>(document: DocumentTypeDecoration<TResult, TVariables>, ...variables: VariablesArgument<TVariables>): Promise<ExecutionResult<TResult>>;
  /** The data, or a GraphQLRequestError when the response carries errors. */
  execute<TResult, TVariables>(document: DocumentTypeDecoration<TResult, TVariables>, ...variables: VariablesArgument<TVariables>): Promise<TResult>;
}

/**
 * GraphQL over HTTP with the generated typed documents: POSTs the document's text exactly as
 * generated (the text the trusted-operations manifest holds) with its variables.
 */
export function createGraphQLFetch(options: GraphQLFetchOptions): GraphQLFetch {
  const doFetch: typeof globalThis.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request<TResult, TVariables>(document: DocumentTypeDecoration<TResult, TVariables>, ...[variables]: VariablesArgument<TVariables>): Promise<ExecutionResult<TResult>> {
    const token = await options.getToken?.();
    let response: Response;
    try {
      response = await doFetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...options.headers,
        },
        body: JSON.stringify({ query: String(document), variables: variables ?? {} }),
      });
    } catch (error) {
      throw new GraphQLRequestError([{ message: `The server could not be reached: ${error instanceof Error ? error.message : String(error)}`, extensions: { code: 'NETWORK_ERROR' } }], 0);
    }
    const text = await response.text();
    let body: { data?: TResult | null; errors?: GraphQLErrorShape[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new GraphQLRequestError([{ message: `Unexpected response (HTTP ${response.status})`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }], response.status);
    }
    return { status: response.status, ...body };
  }

  return {
    request,
    async execute(document, ...variables) {
      const result = await request(document, ...variables);
      if (result.errors?.length || result.data === undefined || result.data === null) {
        throw new GraphQLRequestError(result.errors?.length ? result.errors : [{ message: 'No data in the response' }], result.status, result.data);
      }
      return result.data;
    },
  };
}

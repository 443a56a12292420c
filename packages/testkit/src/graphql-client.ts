export interface GraphQLResponse<TData = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: TData | null; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }> };
}

export interface RequestOptions {
  token?: string | undefined;
  headers?: Record<string, string>;
}

/** A plain GraphQL-over-HTTP POST, as any client would send it. */
export async function graphqlRequest<TData = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: RequestOptions = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GraphQLResponse<TData>['body'];
  try {
    body = JSON.parse(text) as GraphQLResponse<TData>['body'];
  } catch {
    throw new Error(`Non-JSON response (${response.status}): ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

/** The response's data, for a step that must succeed: any error fails the test with the errors shown. */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  if (response.body.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(response.body.errors)}`);
  return response.body.data as T;
}

/** The response's first error, its code and field lifted out of `extensions`; no error fails the test. */
export function errorOf(response: GraphQLResponse<unknown>): { message: string; path?: Array<string | number>; extensions: Record<string, unknown>; code: unknown; field: unknown } {
  const error = response.body.errors?.[0];
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(response.body).slice(0, 300)}`);
  const extensions = error.extensions ?? {};
  return { ...error, extensions, code: extensions.code, field: extensions.field };
}

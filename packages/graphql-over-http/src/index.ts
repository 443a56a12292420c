import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { BodyTooLargeError, readBody, sendGraphQLError } from '@voiceassist/http-io';
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

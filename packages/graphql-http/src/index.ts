import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';

export class BodyTooLargeError extends Error {}

/** Reads a request body, refusing (not buffering) anything over the limit. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limitBytes) {
      reject(new BodyTooLargeError(`Request body over ${limitBytes} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        reject(new BodyTooLargeError(`Request body over ${limitBytes} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** A GraphQL error response for requests refused before Apollo sees them. */
export function sendGraphQLError(res: ServerResponse, status: number, message: string, extensions: Record<string, unknown>, headers: Record<string, string> = {}) {
  sendJson(res, status, { errors: [{ message, extensions }] }, headers);
}

export interface GraphQLHandlerOptions<TContext extends BaseContext> {
  server: ApolloServer<TContext>;
  context: () => Promise<TContext>;
  bodyLimitBytes: number;
}

/** Serves an Apollo Server on plain node:http (no framework), so router and subgraphs share it. */
export async function handleGraphQLRequest<TContext extends BaseContext>(
  req: IncomingMessage,
  res: ServerResponse,
  { server, context, bodyLimitBytes }: GraphQLHandlerOptions<TContext>,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown;
  if (req.method === 'POST') {
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
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
    context,
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

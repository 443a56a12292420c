import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible HTTP server for tests and benchmarks: the paid external API is the
 * one thing we stand in for. Route groups (chat, embeddings, audio) live in their own files and
 * register here; each test configures behaviour (latency, failures) through `behaviour`.
 */
export interface FakeOpenAIRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

export type FakeOpenAIRoute = (request: FakeOpenAIRequest, res: ServerResponse, server: FakeOpenAIServer) => Promise<void> | void;

export interface FakeOpenAIServer {
  /** e.g. http://127.0.0.1:41000/v1: pass as OPENAI_BASE_URL. */
  baseUrl: string;
  /** Every request received, in order, for assertions. */
  requests: FakeOpenAIRequest[];
  /** Test-controlled knobs read by the route groups (e.g. { chatDelayMs: 50, failChat: true }). */
  behaviour: Record<string, unknown>;
  server: Server;
  close(): Promise<void>;
}

const routes = new Map<string, FakeOpenAIRoute>();

/** Route groups call this at import time, e.g. registerFakeOpenAIRoute('POST /v1/embeddings', handler). */
export function registerFakeOpenAIRoute(key: string, route: FakeOpenAIRoute) {
  routes.set(key, route);
}

export function sendOpenAIError(res: ServerResponse, status: number, message: string, type = 'server_error') {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type, code: null } }));
}

export async function startFakeOpenAIServer(behaviour: Record<string, unknown> = {}): Promise<FakeOpenAIServer> {
  const requests: FakeOpenAIRequest[] = [];
  const server = createServer();
  const fake: FakeOpenAIServer = {
    baseUrl: '',
    requests,
    behaviour,
    server,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const body = Buffer.concat(chunks);
      const request: FakeOpenAIRequest = {
        method: req.method ?? 'GET',
        path,
        headers: req.headers,
        body,
        json: <T>() => JSON.parse(body.toString('utf8')) as T,
      };
      requests.push(request);
      const route = routes.get(`${request.method} ${path}`);
      if (!route) {
        sendOpenAIError(res, 404, `No fake for ${request.method} ${path}`, 'invalid_request_error');
        return;
      }
      Promise.resolve(route(request, res, fake)).catch((error: unknown) => {
        if (!res.headersSent) sendOpenAIError(res, 500, String(error));
        else res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}

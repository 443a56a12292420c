import { createServer } from 'node:http';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@voiceassist/logging';
import { createMetricsServer, listenHttp, listenMetrics, sendInternalError, sendJson, serveServiceRequests, type ServiceRequestOptions } from './index.js';

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) if (server.listening) await new Promise((resolve) => server.close(resolve));
});

function serve(handler: Parameters<typeof createServer>[1] = (_req, res) => res.end('ok')) {
  const server = createServer(handler);
  servers.push(server);
  return server;
}

describe('listenHttp', () => {
  it('answers on the URL it gives, with a wildcard host given as 127.0.0.1', async () => {
    const { url, port } = await listenHttp(serve(), 0, '0.0.0.0');
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(await (await fetch(url)).text()).toBe('ok');
  });

  it('rejects when the port is taken, instead of crashing the process', async () => {
    const { port } = await listenHttp(serve(), 0, '127.0.0.1');
    await expect(listenHttp(serve(), port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('sendInternalError', () => {
  it('answers a coded GraphQL error with no detail of the failure', async () => {
    const { url } = await listenHttp(
      serve((_req, res) => sendInternalError(res)),
      0,
      '127.0.0.1',
    );
    const response = await fetch(url);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  });

  it('ends a response that had already begun', async () => {
    const { url } = await listenHttp(
      serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
        sendInternalError(res);
      }),
      0,
      '127.0.0.1',
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('partial');
  });
});

describe('serveServiceRequests', () => {
  async function start(overrides: Partial<ServiceRequestOptions> = {}) {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)));
    const server = serve();
    server.removeAllListeners('request');
    serveServiceRequests(server, {
      service: 'test',
      logger: createLogger({ service: 'test', destination }),
      readiness: async () => ({ ready: false, details: { checks: { database: 'unavailable' } } }),
      route: async (req, res, { url, requestId }) => {
        if (url.pathname !== '/graphql') return false;
        if (req.method === 'DELETE') throw new Error('secret detail');
        sendJson(res, 200, { requestId });
        return true;
      },
      ...overrides,
    });
    const { url } = await listenHttp(server, 0, '127.0.0.1');
    return { url, lines };
  }

  it('keeps a caller\'s request id that looks like one and replaces any other, on the request and the response', async () => {
    const { url } = await start();
    const kept = await fetch(`${url}/graphql`, { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    expect(await kept.json()).toEqual({ requestId: 'abc-123' });
    const replaced = await fetch(`${url}/graphql`, { headers: { 'x-request-id': 'not an id\u00e9' } });
    const id = replaced.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await replaced.json()).toEqual({ requestId: id });
  });

  it('answers health, readiness with its details, and 404 for the rest, /metrics included', async () => {
    const { url } = await start();
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok', service: 'test' });
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', service: 'test', checks: { database: 'unavailable' } });
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect((await fetch(`${url}/health`, { method: 'POST' })).status).toBe(404);
  });

  it('lets the service\'s own routes go first', async () => {
    const { url } = await start({
      route: async (_req, res, { url }) => {
        if (url.pathname !== '/health') return false;
        sendJson(res, 200, { status: 'mine' });
        return true;
      },
    });
    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'mine' });
  });

  it('refuses a request target that is not a URL with 400 and keeps serving', async () => {
    const { url } = await start();
    const { port } = new URL(url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end('GET http://[ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('answers a failure with a bare 500 and logs it with the request id, not to the client', async () => {
    const { url, lines } = await start();
    const response = await fetch(`${url}/graphql`, { method: 'DELETE', headers: { 'x-request-id': 'req-9' } });
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('secret detail');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request failed', requestId: 'req-9', path: '/graphql' }));
  });
});

describe('createMetricsServer', () => {
  it('serves /metrics on its own listener and nothing else', async () => {
    const logger = createLogger({ service: 'test', level: 'silent' });
    const server = createMetricsServer({ render: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'up 1\n' }) }, logger);
    servers.push(server);
    const url = await listenMetrics(server, { port: 0, host: '127.0.0.1' }, logger);
    const metrics = await fetch(url);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await metrics.text()).toBe('up 1\n');
    expect((await fetch(url.replace('/metrics', '/graphql'))).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(404);
  });
});

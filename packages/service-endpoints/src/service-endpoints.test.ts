import { createServer } from 'node:http';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@voiceassist/logging';
import { listenHttp, sendJson } from '@voiceassist/http-io';
import { createMetricsServer, listenMetrics, serveServiceRequests, type ServiceRequestOptions } from './index.js';

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) if (server.listening) await new Promise((resolve) => server.close(resolve));
});

describe('serveServiceRequests', () => {
  async function start(overrides: Partial<ServiceRequestOptions> = {}) {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)));
    const server = createServer();
    servers.push(server);
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

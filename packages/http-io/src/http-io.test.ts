import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { listenHttp, sendInternalError } from './index.js';

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

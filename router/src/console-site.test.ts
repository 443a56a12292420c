import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleSite } from './console-site.js';

let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'console-site-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
  const serve = createConsoleSite(dir);
  const unbuilt = createConsoleSite(join(dir, 'missing'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handled = url.searchParams.has('unbuilt') ? unbuilt(req, res, url.pathname) : serve(req, res, url.pathname);
    if (!handled) {
      res.writeHead(418);
      res.end('router');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** A raw request: fetch would normalise the path (and follow redirects). */
function get(path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console site under /console', () => {
  it('serves index.html with a same-origin content security policy, uncached', async () => {
    const page = await get('/console/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.body).toContain('<title>console</title>');
    expect(await get('/console')).toMatchObject({ status: 308, headers: { location: '/console/' } });
  });

  it('serves hashed assets for a year, and index.html for client-side routes', async () => {
    expect(await get('/console/assets/index-abc123.js')).toMatchObject({
      status: 200,
      body: 'console.log(1)',
      headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable' },
    });
    expect((await get('/console/conversations/42')).body).toContain('<title>console</title>');
    expect((await get('/console/assets/missing.js')).status).toBe(404);
  });

  it('never serves a file outside its folder', async () => {
    for (const path of ['/console/..%2f..%2f..%2fetc%2fpasswd', '/console/%2e%2e/%2e%2e/etc/passwd', '/console/assets/..%2F..%2F..%2Fpackage.json']) {
      // Refused, or (once the URL parser has resolved the dots) no longer a console path at all.
      const response = await get(path);
      expect([400, 404, 418]).toContain(response.status);
      expect(response.body).not.toMatch(/root:|"name"/);
    }
  });

  it('answers only GET and HEAD, leaves other paths to the router, and says when the console is not built', async () => {
    expect((await get('/console/', 'POST')).status).toBe(405);
    expect(await get('/console/', 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect(await get('/graphql')).toMatchObject({ status: 418, body: 'router' });
    expect(await get('/consoles')).toMatchObject({ status: 418 });
    const unbuilt = await get('/console/?unbuilt=1');
    expect(unbuilt.status).toBe(404);
    expect(unbuilt.body).toContain('pnpm --filter @voiceassist/console build');
  });
});

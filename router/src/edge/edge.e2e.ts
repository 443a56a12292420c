import { randomUUID } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { createLogger } from '@voiceassist/logging';
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from '@voiceassist/rate-limit';
import { createRedis, type Redis } from '@voiceassist/redis';
import type { SubgraphServer } from '@voiceassist/subgraph-server';
import { testEnv, testRouterEngine } from '@voiceassist/testkit/env';
import { graphqlRequest } from '@voiceassist/testkit/graphql-client';
import { createRouter, type Router } from '../router.js';
import { TestIssuer, catalogModule, startTestSubgraph, tickerModule } from '../../testing/fixtures.js';
import type { EdgeOptions } from './edge.js';
import { createTrustedOperations, sha256Hex } from './trusted-operations.js';

const LIMITS = { maxDepth: 4, maxAliases: 3, maxRootFields: 3, maxTokens: 60, maxDirectives: 2, maxCost: 50, defaultListSize: 10 };

let issuer: TestIssuer;
let ticker: { server: SubgraphServer; url: string };
let catalog: { server: SubgraphServer; url: string };
let supergraphSdl: string;
const routers: Router[] = [];
const redisUrl = testEnv.REDIS_URL;
let redis: Redis | undefined;

beforeAll(async () => {
  issuer = await TestIssuer.create();
  ticker = await startTestSubgraph(tickerModule, issuer.verifier);
  catalog = await startTestSubgraph(catalogModule, issuer.verifier);
  supergraphSdl = composeSupergraph([
    { name: 'ticker', url: `${ticker.url}/graphql`, typeDefs: tickerModule.typeDefs },
    { name: 'catalog', url: `${catalog.url}/graphql`, typeDefs: catalogModule.typeDefs },
  ]);
  if (redisUrl) redis = createRedis({ url: redisUrl });
});

afterAll(async () => {
  for (const router of routers) await router.close();
  await ticker?.server.close();
  await catalog?.server.close();
  await redis?.quit();
});

async function startRouter(edge: Partial<EdgeOptions> = {}, extra: Partial<Parameters<typeof createRouter>[0]> = {}) {
  const router = createRouter({
    supergraphSdl,
    verifier: issuer.verifier,
    revocations: issuer.revocations,
    logger: createLogger({ service: 'router', level: 'silent' }),
    edge: { limits: LIMITS, ...edge },
    ...testRouterEngine,
    ...extra,
  });
  routers.push(router);
  const { url } = await router.listen(0, '127.0.0.1');
  return { router, url: `${url}/graphql` };
}

/** A POST whose body arrives as sent on the wire (fetch would decompress it). */
function rawPost(url: string, body: string, headers: Record<string, string>): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const errorOf = (body: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => body.errors?.[0]?.extensions;

describe('operation limits', () => {
  let url: string;
  beforeAll(async () => {
    ({ url } = await startRouter());
  });

  const cases: Array<[string, string, string]> = [
    // [limit, just under (passes), just over (refused)]
    ['aliases', '{ a: item(id: "1") { id } b: item(id: "2") { id } c: item(id: "3") { id } }', '{ a: item(id: "1") { x: id } b: item(id: "2") { id } c: item(id: "3") { id } }'],
    ['rootFields', '{ tickerPing item(id: "1") { id } b: item(id: "2") { id } }', '{ tickerPing item(id: "1") { id } b: item(id: "2") { id } c: tickerPing }'],
    ['directives', '{ tickerPing @skip(if: false) item(id: "1") @include(if: true) { id } }', '{ tickerPing @skip(if: false) item(id: "1") @include(if: true) { id @skip(if: false) } }'],
  ];

  it.each(cases)('%s: just under runs, just over is refused with BAD_USER_INPUT naming it', async (limit, under, over) => {
    const ok = await graphqlRequest(url, under);
    expect(ok.body.errors).toBeUndefined();
    const refused = await graphqlRequest(url, over);
    expect(refused.status).toBe(400);
    expect(errorOf(refused.body)).toMatchObject({ code: 'BAD_USER_INPUT', limit });
  });

  it('depth: counts nesting, fragments included', async () => {
    const { url: deep } = await startRouter({ limits: { ...LIMITS, maxDepth: 1 } });
    expect((await graphqlRequest(deep, '{ tickerPing }')).body.errors).toBeUndefined();
    const nested = await graphqlRequest(deep, '{ item(id: "1") { ...F } } fragment F on Item { id }');
    expect(errorOf(nested.body)).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'depth', actual: 2, max: 1 });
  });

  it('tokens: a document over the token limit is refused before parsing the rest', async () => {
    const under = `{ ${Array.from({ length: 20 }, () => 'tickerPing').join(' ')} }`;
    expect(errorOf((await graphqlRequest(url, under)).body)).toMatchObject({ limit: 'rootFields' });
    const over = `{ ${'tickerPing '.repeat(100)} }`;
    const overRes = await graphqlRequest(url, over);
    expect(errorOf(overRes.body)).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'tokens' });
  });

  it('cost: list sizes come from first/limit arguments, literal or variable', async () => {
    const { url: costly } = await startRouter({ limits: { ...LIMITS, maxCost: 4, maxDepth: 10 } });
    const query = 'query Q { item(id: "1") { id name } }';
    expect((await graphqlRequest(costly, query)).body.errors).toBeUndefined(); // cost 3
    const over = await graphqlRequest(costly, '{ item(id: "1") { id name } tickerPing b: tickerPing }'); // cost 5
    expect(errorOf(over.body)).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost', actual: 5, max: 4 });
  });

  it('body size: a body over the limit is refused with 413', async () => {
    const { url: small } = await startRouter({}, { bodyLimitBytes: 200 });
    const res = await graphqlRequest(small, '{ tickerPing }', { pad: 'x'.repeat(300) });
    expect(res.status).toBe(413);
    expect(errorOf(res.body)).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'bodySize' });
  });

  it('batches: refused by default, capped when enabled', async () => {
    const batch = (n: number) => JSON.stringify(Array.from({ length: n }, () => ({ query: '{ tickerPing }' })));
    const post = (target: string, body: string) => fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const off = await post(url, batch(2));
    expect(off.status).toBe(400);
    expect(errorOf((await off.json()) as never)).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'batch' });
    const { url: batching } = await startRouter({ maxBatchSize: 3 });
    const ok = await post(batching, batch(3));
    expect(await ok.json()).toEqual([{ data: { tickerPing: 'pong' } }, { data: { tickerPing: 'pong' } }, { data: { tickerPing: 'pong' } }]);
    const over = await post(batching, batch(4));
    expect(errorOf((await over.json()) as never)).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'batch', max: 3 });
  });

  it('applies the same limits over graphql-ws', async () => {
    const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    const error = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: '{ tickerPing a: tickerPing b: tickerPing c: tickerPing }' }, { next: () => {}, error: resolve, complete: () => resolve(undefined) });
    });
    expect(JSON.stringify(error)).toContain('"limit":"rootFields"');
    await client.dispose();
  });
});

describe('rate limits', () => {
  const limiterFor = (namespace: string): RateLimiter => (redis ? createRedisRateLimiter(redis, `${namespace}:`) : createMemoryRateLimiter());

  it('refuses a client over its rate with 429, Retry-After and RATE_LIMITED, counted across routers sharing Redis', async () => {
    const namespace = `rl-${randomUUID()}`;
    const shared = limiterFor(namespace);
    const a = await startRouter({ rateLimits: { limiter: shared, perClientPerMinute: 4, globalPerMinute: 0 } });
    // With Redis, a second router instance has its own connection but the same counters.
    const b = await startRouter({ rateLimits: { limiter: redis ? createRedisRateLimiter(redis, `${namespace}:`) : shared, perClientPerMinute: 4, globalPerMinute: 0 } });
    const token = await issuer.token({ sub: `rate-${randomUUID()}` });
    const statuses: number[] = [];
    for (const target of [a.url, b.url, a.url, b.url]) statuses.push((await graphqlRequest(target, '{ tickerPing }', {}, { token })).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const refused = await graphqlRequest(b.url, '{ tickerPing }', {}, { token });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(errorOf(refused.body)).toMatchObject({ code: 'RATE_LIMITED' });
    expect(errorOf(refused.body)?.retryAfterSeconds).toBeGreaterThan(0);
    // Another user is not affected.
    expect((await graphqlRequest(a.url, '{ tickerPing }', {}, { token: await issuer.token({ sub: `other-${randomUUID()}` }) })).status).toBe(200);
  });

  it('applies a global limit, and answers over graphql-ws with an error then complete', async () => {
    const { url } = await startRouter({ rateLimits: { limiter: limiterFor(`rl-${randomUUID()}`), perClientPerMinute: 0, globalPerMinute: 2 } });
    expect((await graphqlRequest(url, '{ tickerPing }')).status).toBe(200);
    expect((await graphqlRequest(url, '{ tickerPing }', {}, { token: await issuer.token() })).status).toBe(200);
    expect((await graphqlRequest(url, '{ tickerPing }')).status).toBe(429);
    const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    const error = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: 'subscription { ticks(count: 1) { n } }' }, { next: () => {}, error: resolve, complete: () => resolve('completed') });
    });
    expect(JSON.stringify(error)).toContain('RATE_LIMITED');
    await client.dispose();
  });
});

describe('trusted operations', () => {
  const trusted = 'query Ping { tickerPing }';
  const manifest = { operations: { [sha256Hex(trusted)]: trusted } };

  it('safelist: runs manifest operations, by document or by id alone, and refuses the rest', async () => {
    const { url } = await startRouter({ trustedOperations: createTrustedOperations('safelist', manifest) });
    expect((await graphqlRequest(url, trusted)).body).toEqual({ data: { tickerPing: 'pong' } });
    const byId = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documentId: `sha256:${sha256Hex(trusted)}` }) });
    expect(await byId.json()).toEqual({ data: { tickerPing: 'pong' } });
    const apqStyle = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(trusted) } } }) });
    expect(await apqStyle.json()).toEqual({ data: { tickerPing: 'pong' } });
    const other = await graphqlRequest(url, '{ tickerPing }');
    expect(other.status).toBe(403);
    expect(errorOf(other.body)).toMatchObject({ code: 'FORBIDDEN', reason: 'UNTRUSTED_OPERATION' });
    const unknownId = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documentId: 'sha256:abc' }) });
    expect(errorOf((await unknownId.json()) as never)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'documentId' });
  });

  it('log and off: everything runs', async () => {
    for (const mode of ['log', 'off'] as const) {
      const { url } = await startRouter({ trustedOperations: createTrustedOperations(mode, manifest) });
      expect((await graphqlRequest(url, '{ tickerPing }')).body).toEqual({ data: { tickerPing: 'pong' } });
    }
  });
});

describe('HTTP details', () => {
  it('sends security headers, and HSTS when asked', async () => {
    const { url } = await startRouter({ hsts: true });
    const res = await fetch(`${url}?query=${encodeURIComponent('{ tickerPing }')}`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
  });

  it('compresses large responses with brotli or gzip when the client asks', async () => {
    const { url } = await startRouter({ limits: { ...LIMITS, maxAliases: 10, maxRootFields: 10, maxTokens: 500 } });
    const query = `{ ${Array.from({ length: 3 }, (_, i) => `i${i}: item(id: "${'x'.repeat(400)}") { name }`).join(' ')} }`;
    for (const [encoding, decode] of [['br', brotliDecompressSync], ['gzip', gunzipSync], ['identity', (b: Buffer) => b]] as const) {
      const { headers, body } = await rawPost(url, JSON.stringify({ query }), { 'accept-encoding': encoding });
      expect(headers['content-encoding']).toBe(encoding === 'identity' ? undefined : encoding);
      const data = JSON.parse(decode(body).toString('utf8')) as { data: Record<string, { name: string }> };
      expect(Object.keys(data.data)).toEqual(['i0', 'i1', 'i2']);
      if (encoding !== 'identity') expect(body.length).toBeLessThan(decode(body).length / 2);
    }
  });

  it('turns introspection and Sandbox off when configured (production)', async () => {
    const { url } = await startRouter({}, { introspection: false, landingPage: false });
    const res = await graphqlRequest(url, '{ __schema { queryType { name } } }');
    expect(errorOf(res.body)?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('EmbeddedSandbox');
    const root = await fetch(url.replace(/\/graphql$/, '/'), { headers: { accept: '*/*' } });
    expect(await root.text()).not.toContain('EmbeddedSandbox');
  });
});

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GraphQLError, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAuthenticated, allow } from '@voiceassist/auth';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { createLogger } from '@voiceassist/logging';
import { createSubgraphServer, type RequestContext, type SubgraphServer } from '@voiceassist/subgraph-server';
import { testRouterEngine } from '@voiceassist/testkit/env';
import { graphqlRequest } from '@voiceassist/testkit/graphql-client';
import { createTrustedOperations, sha256Hex } from './edge/trusted-operations.js';
import { createRouter, type Router } from './router.js';
import { TestIssuer } from '../testing/fixtures.js';

// A small subgraph defined here, so router behaviour is tested apart from any domain subgraph.
const widgetsModule = {
  name: 'widgets',
  typeDefs: parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type Query { whoami: Caller! publicPing: String! badInput: String crash: String }
    type Caller { userId: String requestId: String! userAgent: String ip: String }
  `),
  resolvers: {
    Query: {
      whoami: (_: unknown, __: unknown, ctx: RequestContext) => {
        calls += 1;
        return { userId: ctx.viewer?.userId ?? null, requestId: ctx.requestId, userAgent: ctx.userAgent, ip: ctx.ip };
      },
      publicPing: () => {
        calls += 1;
        return 'pong';
      },
      badInput: () => {
        throw new GraphQLError('Title is too long', { extensions: { code: 'BAD_USER_INPUT', field: 'title' } });
      },
      crash: () => {
        throw new Error('connect ECONNREFUSED 10.0.0.5:5432 password=secret');
      },
    },
  },
  permissions: { Query: { whoami: isAuthenticated, publicPing: allow, badInput: allow, crash: allow }, Caller: allow },
};
let calls = 0;

let issuer: TestIssuer;
let subgraph: SubgraphServer;
let router: Router;
let graphqlUrl: string;
let routerUrl: string;
let metricsUrl: string;
const PING = 'query Ping { publicPing }';
const token = (claims?: Parameters<TestIssuer['token']>[0]) => issuer.token(claims);

beforeAll(async () => {
  issuer = await TestIssuer.create();
  const { verifier, revocations } = issuer;
  const logger = createLogger({ service: 'test', level: 'silent' });
  subgraph = createSubgraphServer({ module: widgetsModule, logger, verifier, context: (base) => base });
  const { url: subgraphUrl } = await subgraph.listen(0, '127.0.0.1');
  const supergraphSdl = composeSupergraph([
    { name: 'widgets', url: `${subgraphUrl}/graphql`, typeDefs: widgetsModule.typeDefs },
    {
      name: 'gadgets',
      url: 'http://127.0.0.1:9/graphql', // nothing listens here: a subgraph that is down
      typeDefs: parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
        type Query { gadget: String }`),
    },
  ]);
  router = createRouter({
    supergraphSdl,
    verifier,
    revocations,
    logger,
    corsOrigins: ['http://allowed.example'],
    edge: { trustedOperations: createTrustedOperations('off', { operations: { [sha256Hex(PING)]: PING } }) },
    metricsListener: { port: 0, host: '127.0.0.1' },
    ...testRouterEngine,
  });
  const listening = await router.listen(0, '127.0.0.1');
  routerUrl = listening.url;
  metricsUrl = listening.metricsUrl!;
  graphqlUrl = `${routerUrl}/graphql`;
});

afterAll(async () => {
  await router?.close();
  await subgraph?.close();
});

describe('router', () => {
  it('forwards the caller, request id and user agent to the subgraph and echoes the request id', async () => {
    const res = await graphqlRequest<{ whoami: Record<string, string> }>(graphqlUrl, '{ whoami { userId requestId userAgent ip } }', {}, {
      token: await token(),
      headers: { 'x-request-id': 'req-abc-123', 'user-agent': 'console/1.0' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');
    expect(res.body.data?.whoami).toMatchObject({ userId: 'user-1', requestId: 'req-abc-123', userAgent: 'console/1.0', ip: '127.0.0.1' });
  });

  it('generates a request id when the client sends none', async () => {
    const res = await graphqlRequest<{ whoami: { requestId: string } }>(graphqlUrl, '{ whoami { requestId } }', {}, { token: await token() });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.data?.whoami.requestId).toBe(id);
  });

  it('refuses tampered, expired and revoked tokens with UNAUTHENTICATED before reaching any subgraph', async () => {
    const good = await token();
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'SUPERADMIN' })).toString('base64url');
    const sid = randomUUID();
    const revoked = await token({ sid });
    await issuer.revocations.revoke(sid, 60);
    const cases: Array<[string, string]> = [
      [`${header}.${forged}.${signature}`, 'Invalid access token'],
      [await token({ expiresIn: Math.floor(Date.now() / 1000) - 10 }), 'Access token has expired'],
      [revoked, 'Session has been revoked'],
      ['not-a-jwt', 'Invalid access token'],
    ];
    const before = calls;
    for (const [bad, message] of cases) {
      const res = await graphqlRequest(graphqlUrl, '{ publicPing }', {}, { token: bad });
      expect(res.status).toBe(401);
      expect(res.body.errors?.[0]).toMatchObject({ message, extensions: { code: 'UNAUTHENTICATED' } });
    }
    expect(calls).toBe(before);
  });

  it('lets anonymous callers reach fields the subgraph allows, and the subgraph refuses the rest', async () => {
    expect((await graphqlRequest(graphqlUrl, '{ publicPing }')).body.data).toEqual({ publicPing: 'pong' });
    const res = await graphqlRequest(graphqlUrl, '{ whoami { userId } }');
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', serviceName: 'widgets' });
  });

  it('keeps a subgraph error code and field, and adds serviceName', async () => {
    const res = await graphqlRequest(graphqlUrl, '{ badInput }');
    expect(res.body.errors?.[0]).toMatchObject({
      message: 'Title is too long',
      path: ['badInput'],
      extensions: { code: 'BAD_USER_INPUT', field: 'title', serviceName: 'widgets' },
    });
  });

  it('hides the detail of unexpected subgraph errors and never sends stack traces', async () => {
    const res = await graphqlRequest(graphqlUrl, '{ crash }');
    const raw = JSON.stringify(res.body);
    expect(res.body.errors?.[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'widgets' } });
    expect(raw).not.toContain('ECONNREFUSED');
    expect(raw).not.toContain('secret');
    expect(raw).not.toContain('stacktrace');
  });

  it('starts with a subgraph down: stays ready, names it in /health and subgraph_up, and answers its fields with DOWNSTREAM_SERVICE_ERROR', async () => {
    const ready = await fetch(`${routerUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', service: 'router' });
    const health = await fetch(`${routerUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', subgraphs: { widgets: 'ok', gadgets: 'unreachable' } });
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(/^subgraph_up\{subgraph="widgets"[^}]*\} 1$/m);
    expect(metrics).toMatch(/^subgraph_up\{subgraph="gadgets"[^}]*\} 0$/m);
    const res = await graphqlRequest(graphqlUrl, '{ gadget publicPing }');
    expect(res.body.data).toEqual({ gadget: null, publicPing: 'pong' });
    expect(res.body.errors?.[0]).toMatchObject({ message: 'The gadgets service is unavailable', extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'gadgets' } });
  });

  it('answers /health from its background probe: no request to a subgraph per call', async () => {
    await fetch(`${routerUrl}/health`);
    let probes = 0;
    const count = (req: IncomingMessage) => {
      if (req.url === '/health') probes += 1;
    };
    subgraph.httpServer.on('request', count);
    try {
      for (let i = 0; i < 20; i++) {
        const health = await fetch(`${routerUrl}/health`);
        expect(await health.json()).toMatchObject({ subgraphs: { widgets: 'ok', gadgets: 'unreachable' } });
      }
      await fetch(metricsUrl);
    } finally {
      subgraph.httpServer.off('request', count);
    }
    // Twenty calls and a scrape; at most one background probe (every 10 s) fell in between.
    expect(probes).toBeLessThanOrEqual(1);
  });

  it('follows a subgraph going down within one probe interval', async () => {
    const logger = createLogger({ service: 'test', level: 'silent' });
    const leaving = createSubgraphServer({ module: widgetsModule, logger, verifier: issuer.verifier, context: (base) => base });
    const { url: leavingUrl } = await leaving.listen(0, '127.0.0.1');
    const watching = createRouter({
      supergraphSdl: composeSupergraph([{ name: 'widgets', url: `${leavingUrl}/graphql`, typeDefs: widgetsModule.typeDefs }]),
      verifier: issuer.verifier,
      revocations: issuer.revocations,
      logger,
      subgraphHealthIntervalMs: 100,
      metricsListener: { port: 0, host: '127.0.0.1' },
      ...testRouterEngine,
    });
    try {
      const listening = await watching.listen(0, '127.0.0.1');
      const widgetsState = async () => ((await (await fetch(`${listening.url}/health`)).json()) as { subgraphs: Record<string, string> }).subgraphs.widgets;
      expect(await widgetsState()).toBe('ok');
      await leaving.close();
      await expect.poll(widgetsState, { timeout: 5_000, interval: 50 }).toBe('unreachable');
      expect(await (await fetch(listening.metricsUrl!)).text()).toMatch(/^subgraph_up\{subgraph="widgets"[^}]*\} 0$/m);
    } finally {
      await watching.close();
      await leaving.close();
    }
  });

  it("rejects malformed requests with Apollo's codes for documents and BAD_USER_INPUT for the rest", async () => {
    const parseError = await graphqlRequest(graphqlUrl, '{ publicPing ');
    expect(parseError.status).toBe(400);
    expect(parseError.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const unknownField = await graphqlRequest(graphqlUrl, '{ nope }');
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // With plain application/json, GraphQL over HTTP answers document failures 200.
    const legacy = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ query: '{ nope }' }) });
    expect(legacy.status).toBe(200);
    expect(((await legacy.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const brokenJson = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' });
    expect(brokenJson.status).toBe(400);
    expect(((await brokenJson.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('prevents CSRF: no simple cross-site POSTs, and GETs cannot mutate', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const form = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify({ query: '{ publicPing }' }) });
      expect(form.status).toBe(415);
      expect(((await form.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    }
    const get = await fetch(`${graphqlUrl}?query=${encodeURIComponent('{ publicPing }')}`);
    expect(await get.json()).toEqual({ data: { publicPing: 'pong' } });
    const mutationOverGet = await fetch(`${graphqlUrl}?query=${encodeURIComponent('mutation { x }')}`, { headers: { accept: 'application/json' } });
    expect(mutationOverGet.status).toBe(405);
  });

  it('allows CORS only for configured origins', async () => {
    const allowed = await fetch(graphqlUrl, { method: 'OPTIONS', headers: { origin: 'http://allowed.example', 'access-control-request-method': 'POST' } });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://allowed.example');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const denied = await fetch(graphqlUrl, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("serves Apollo Sandbox as its landing page on the router's /graphql endpoint, to browsers and to curl on /", async () => {
    const page = await fetch(graphqlUrl, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('EmbeddedSandbox');
    expect(html).toContain('initialSubscriptionEndpoint');
    expect(html).toContain("window.location.origin + '/graphql'");
    const curl = await fetch(`${routerUrl}/`, { headers: { accept: '*/*' } });
    expect(curl.status).toBe(200);
    expect(curl.headers.get('content-type')).toBe('text/html; charset=utf-8');
    // No console built here: no offline explorer to fall back to, so the page says how to query instead.
    const curlHtml = await curl.text();
    expect(curlHtml).toContain('could not load');
    expect(curlHtml).not.toContain('explorer.html');
    // GraphQL clients keep GraphQL's answers.
    expect((await fetch(graphqlUrl, { headers: { accept: 'application/json' } })).status).toBe(400);
    expect((await fetch(`${routerUrl}/?query=${encodeURIComponent(PING)}`, { headers: { accept: '*/*' } })).headers.get('content-type')).toMatch(/json/);
  });

  it('exposes Prometheus metrics per operation and per subgraph on the metrics listener only', async () => {
    expect((await fetch(`${routerUrl}/metrics`)).status).toBe(404);
    await graphqlRequest(graphqlUrl, PING);
    // Names a client makes up are one bucket, not a time series each.
    for (let n = 0; n < 5; n++) await graphqlRequest(graphqlUrl, `query MadeUp${n}${randomUUID().slice(0, 8)} { publicPing }`);
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toMatch(/graphql_requests_total\{[^}]*operation="Ping"/);
    expect(Number(/graphql_requests_total\{operation="other",type="query"[^}]*\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(5);
    expect(text).not.toContain('MadeUp');
    expect(text).toMatch(/router_subgraph_fetch_duration_seconds_count\{[^}]*subgraph="widgets"/);
    expect(text).toMatch(/graphql_errors_total\{[^}]*code="DOWNSTREAM_SERVICE_ERROR"/);
  });
});

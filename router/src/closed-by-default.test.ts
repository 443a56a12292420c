import { parse, type FormattedExecutionResult } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { allow } from '@voiceassist/auth';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { commonEnvShape, loadEnv, z } from '@voiceassist/env';
import { serviceHttpOptions } from '@voiceassist/service-endpoints';
import { createLogger } from '@voiceassist/logging';
import { createMemoryRateLimiter } from '@voiceassist/rate-limit';
import { createSubgraphServer, type RequestContext, type SubgraphServer } from '@voiceassist/subgraph-server';
import { testRouterEngine } from '@voiceassist/testkit/env';
import { graphqlRequest } from '@voiceassist/testkit/graphql-client';
import { routerEnvSchema } from './env.js';
import { createRouter, type Router, type RouterOptions } from './router.js';
import { TestIssuer } from '../testing/fixtures.js';

// Attacks from outside on a router and a subgraph configured by their environment, the way
// index.ts configures them: loadEnv, then serviceHttpOptions (stack traces, TRUST_PROXY, metrics).
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';
const FAILED_SQL = 'Failed query: update "identity"."users" set "settings" = $1\nparams: {"diagnosis":"asthma"}';
const SPOOFED = '203.0.113.9';

const callerModule = {
  name: 'caller',
  typeDefs: parse(`${LINK}
    type Query { callerIp: String crash: String }
    type Subscription { callerIpStream: String }
  `),
  resolvers: {
    Query: {
      callerIp: (_: unknown, __: unknown, ctx: RequestContext) => ctx.ip ?? null,
      crash: () => {
        throw new Error(FAILED_SQL);
      },
    },
    Subscription: {
      callerIpStream: {
        subscribe: async function* (_: unknown, __: unknown, ctx: RequestContext) {
          yield { callerIpStream: ctx.ip ?? null };
        },
      },
    },
  },
  permissions: { Query: { callerIp: allow, crash: allow }, Subscription: { callerIpStream: allow } },
};

const logger = createLogger({ service: 'test', level: 'silent' });
const started: Array<Router | SubgraphServer> = [];
afterEach(async () => {
  for (const server of started.splice(0).reverse()) await server.close();
});

/** A subgraph and a router in front of it, each from its own environment variables. */
async function start(env: { router?: Record<string, string>; subgraph?: Record<string, string> }, router: Partial<RouterOptions> = {}) {
  const issuer = await TestIssuer.create();
  const subgraphEnv = loadEnv(z.object(commonEnvShape), env.subgraph ?? {});
  const subgraph = createSubgraphServer({ module: callerModule, logger, verifier: issuer.verifier, context: (base) => base, ...serviceHttpOptions(subgraphEnv) });
  started.push(subgraph);
  const { url: subgraphUrl, metricsUrl: subgraphMetricsUrl } = await subgraph.listen(0, '127.0.0.1');
  const routerEnv = loadEnv(routerEnvSchema, env.router ?? {});
  const supergraphSdl = composeSupergraph([{ name: 'caller', url: `${subgraphUrl}/graphql`, typeDefs: callerModule.typeDefs }]);
  const created = createRouter({ supergraphSdl, verifier: issuer.verifier, revocations: issuer.revocations, logger, ...serviceHttpOptions(routerEnv), ...testRouterEngine, ...router });
  started.push(created);
  const { url: routerUrl, metricsUrl: routerMetricsUrl } = await created.listen(0, '127.0.0.1');
  return { routerUrl: `${routerUrl}/graphql`, subgraphUrl: `${subgraphUrl}/graphql`, routerMetricsUrl, subgraphMetricsUrl };
}

const spoofing = { headers: { 'x-forwarded-for': SPOOFED } };

/** Runs one operation over graphql-ws, the upgrade request carrying a spoofed X-Forwarded-For. */
async function overWebSocket(url: string, query: string): Promise<FormattedExecutionResult> {
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    retryAttempts: 0,
    webSocketImpl: class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: { 'x-forwarded-for': SPOOFED } });
      }
    },
  });
  try {
    return await new Promise<FormattedExecutionResult>((resolve, reject) => {
      let first: FormattedExecutionResult | undefined;
      client.subscribe({ query }, { next: (result) => (first ??= result as FormattedExecutionResult), error: reject, complete: () => (first ? resolve(first) : reject(new Error('no result'))) });
    });
  } finally {
    await client.dispose();
  }
}

describe('error responses', () => {
  it('carry no stack trace and no failed SQL with NODE_ENV unset, through the router or straight from the subgraph', async () => {
    const { routerUrl, subgraphUrl } = await start({});
    for (const url of [routerUrl, subgraphUrl]) {
      const response = await graphqlRequest(url, '{ crash }');
      const raw = JSON.stringify(response.body);
      expect(response.body.errors?.[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      for (const leak of ['stacktrace', 'Failed query', 'asthma', '.ts:']) expect(raw, url).not.toContain(leak);
    }
  });

  it('carry none in production either, and with ERRORS_INCLUDE_STACKTRACE=true carry both', async () => {
    const production = await start({ router: { NODE_ENV: 'production' }, subgraph: { NODE_ENV: 'production' } });
    expect(JSON.stringify((await graphqlRequest(production.routerUrl, '{ crash }')).body)).not.toContain('stacktrace');
    const debugging = await start({ router: { ERRORS_INCLUDE_STACKTRACE: 'true' }, subgraph: { ERRORS_INCLUDE_STACKTRACE: 'true' } });
    const direct = (await graphqlRequest(debugging.subgraphUrl, '{ crash }')).body.errors?.[0];
    expect(direct?.message).toBe(FAILED_SQL);
    expect(direct?.extensions?.stacktrace).toEqual(expect.arrayContaining([expect.stringContaining('closed-by-default.test.ts')]));
    expect((await graphqlRequest(debugging.routerUrl, '{ crash }')).body.errors?.[0]?.extensions).toHaveProperty('stacktrace');
  });
});

describe('a spoofed X-Forwarded-For', () => {
  // As deployed: the subgraph trusts the router's hop (loopback here), the router trusts nothing.
  const behindRouter = { subgraph: { TRUST_PROXY: '127.0.0.1' } };

  it('does not change the address the router limits or the subgraph sees, over HTTP or WebSocket', async () => {
    const { routerUrl } = await start(behindRouter);
    expect((await graphqlRequest(routerUrl, '{ callerIp }', {}, spoofing)).body.data).toEqual({ callerIp: '127.0.0.1' });
    expect((await overWebSocket(routerUrl, '{ callerIp }')).data).toEqual({ callerIp: '127.0.0.1' });
    expect((await overWebSocket(routerUrl, 'subscription { callerIpStream }')).data).toEqual({ callerIpStream: '127.0.0.1' });
  });

  it('does not change the address a subgraph sees when it trusts nobody (its default)', async () => {
    const { subgraphUrl } = await start({});
    expect((await graphqlRequest(subgraphUrl, '{ callerIp }', {}, spoofing)).body.data).toEqual({ callerIp: '127.0.0.1' });
    expect((await overWebSocket(subgraphUrl, 'subscription { callerIpStream }')).data).toEqual({ callerIpStream: '127.0.0.1' });
  });

  it('does not escape the anonymous rate limit by claiming another address per request', async () => {
    const rateLimits = { limiter: createMemoryRateLimiter(), perClientPerMinute: 3, globalPerMinute: 0 };
    const { routerUrl } = await start(behindRouter, { edge: { rateLimits } });
    const statuses = [];
    for (let n = 1; n <= 4; n++) statuses.push((await graphqlRequest(routerUrl, '{ callerIp }', {}, { headers: { 'x-forwarded-for': `198.51.100.${n}` } })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('names the client when TRUST_PROXY trusts the proxy that sent it, and reaches the subgraph', async () => {
    const { routerUrl } = await start({ ...behindRouter, router: { TRUST_PROXY: '127.0.0.0/8' } });
    // The client wrote the first entry; the proxy in front (loopback, trusted) appended what it saw.
    const chain = { headers: { 'x-forwarded-for': `10.9.9.9, ${SPOOFED}` } };
    expect((await graphqlRequest(routerUrl, '{ callerIp }', {}, chain)).body.data).toEqual({ callerIp: SPOOFED });
    expect((await overWebSocket(routerUrl, '{ callerIp }')).data).toEqual({ callerIp: SPOOFED });
    expect((await overWebSocket(routerUrl, 'subscription { callerIpStream }')).data).toEqual({ callerIpStream: SPOOFED });
    const hops = await start({ ...behindRouter, router: { TRUST_PROXY: '1' } });
    expect((await graphqlRequest(hops.routerUrl, '{ callerIp }', {}, chain)).body.data).toEqual({ callerIp: SPOOFED });
  });
});

describe('metrics', () => {
  it('are served on no port unless METRICS_PORT says, and never on the public one', async () => {
    const closed = await start({});
    expect(closed.routerMetricsUrl).toBeUndefined();
    expect(closed.subgraphMetricsUrl).toBeUndefined();
    const open = await start({ router: { METRICS_PORT: '0' }, subgraph: { METRICS_PORT: '0' } });
    for (const url of [open.routerUrl, open.subgraphUrl]) expect((await fetch(url.replace('/graphql', '/metrics'))).status).toBe(404);
    for (const url of [open.routerMetricsUrl, open.subgraphMetricsUrl]) {
      expect(new URL(url!).hostname).toBe('127.0.0.1');
      expect(await (await fetch(url!)).text()).toContain('process_cpu_seconds_total');
    }
  });

  it('count operations whose names clients make up in one bucket', async () => {
    const { routerUrl, routerMetricsUrl, subgraphMetricsUrl } = await start({ router: { METRICS_PORT: '0' }, subgraph: { METRICS_PORT: '0' } });
    for (let n = 0; n < 3; n++) await graphqlRequest(routerUrl, `query Invented${n}x${Date.now()} { callerIp }`);
    const router = await (await fetch(routerMetricsUrl!)).text();
    const subgraph = await (await fetch(subgraphMetricsUrl!)).text();
    for (const text of [router, subgraph]) expect(text).not.toContain('Invented');
    expect(router).toMatch(/graphql_requests_total\{operation="other",type="query"[^}]*\} 3/);
    // The subgraph knows its schema: it counts by root field (the router's fetch is named after the client's operation).
    expect(subgraph).toMatch(/graphql_requests_total\{operation="callerIp",type="query"[^}]*\} 3/);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allow } from '@voiceassist/auth';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { createRedis, RedisAvailability, type Redis } from '@voiceassist/redis';
import { createSubgraphServer, type SubgraphServer } from '@voiceassist/subgraph-server';
import { graphqlRequest } from '@voiceassist/testkit/graphql-client';
import { startRedisServer, type TestRedisServer } from '@voiceassist/testkit/redis-server';
import { serveNoRevocations } from '@voiceassist/testkit/revocation-source';
import { waitUntil } from '@voiceassist/testkit/wait';
import { createRouterFromEnv, routerEnvSchema, type Router } from './router.js';
import { TestIssuer } from '../testing/fixtures.js';

// The router as deployed (from its env) and a subgraph, on a Redis of this test's own that is
// killed and restarted: requests keep being answered at once, rate limits hold per instance,
// and /ready, /health, the logs and the metrics say Redis is away, once, and when it is back.

const widgetsModule = {
  name: 'widgets',
  typeDefs: parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type Query { publicPing: String! }
  `),
  resolvers: { Query: { publicPing: () => 'pong' } },
  permissions: { Query: { publicPing: allow } },
};

const PER_MINUTE = 8;
let server: TestRedisServer;
let revocationSource: Awaited<ReturnType<typeof serveNoRevocations>>;
let subgraphRedis: Redis;
let subgraph: SubgraphServer;
let router: Router;
let routerUrl: string;
let subgraphUrl: string;
let routerMetricsUrl: string;
let subgraphMetricsUrl: string;
const routerLines: Array<Record<string, unknown>> = [];
/** /health names the supergraph served (see supergraph-reload.test.ts). */
const liveSupergraph = { hash: expect.stringMatching(/^[0-9a-f]{16}$/), loadedAt: expect.any(String) };
const subgraphLines: Array<Record<string, unknown>> = [];

function capturingLogger(service: string, lines: Array<Record<string, unknown>>) {
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)));
  return createLogger({ service, destination });
}

const json = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
/** Metrics are served on their own listener (its URL ends in /metrics), never the public port. */
const redisGauge = async (metricsUrl: string) => /^dependency_up\{[^}]*dependency="redis"[^}]*\} (\d)$/m.exec(await (await fetch(metricsUrl)).text())?.[1];
const transitions = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.dependency === 'redis').map((l) => l.msg);
const ping = () => graphqlRequest(`${routerUrl}/graphql`, '{ publicPing }');

beforeAll(async () => {
  server = await startRedisServer();
  revocationSource = await serveNoRevocations();
  const issuer = await TestIssuer.create();
  const availability = new RedisAvailability();
  subgraphRedis = createRedis({ url: server.url, availability });
  subgraph = createSubgraphServer({
    module: widgetsModule,
    logger: capturingLogger('widgets', subgraphLines),
    verifier: issuer.verifier,
    context: (base) => base,
    readiness: { required: { database: async () => {} }, degradable: { redis: availability } },
    metricsListener: { port: 0, host: '127.0.0.1' },
  });
  ({ url: subgraphUrl, metricsUrl: subgraphMetricsUrl = '' } = await subgraph.listen(0, '127.0.0.1'));
  const dir = mkdtempSync(join(tmpdir(), 'redis-outage-'));
  const supergraphPath = join(dir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composeSupergraph([{ name: 'widgets', url: `${subgraphUrl}/graphql`, typeDefs: widgetsModule.typeDefs }]));
  const env = loadEnv(routerEnvSchema, {
    NODE_ENV: 'test',
    REDIS_URL: server.url,
    SUPERGRAPH_PATH: supergraphPath,
    JWKS_URL: `${subgraphUrl}/.well-known/jwks.json`,
    REVOCATIONS_URL: `${revocationSource.url}/revocations`,
    RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
    METRICS_PORT: '0',
    // The subgraph's state in /health comes from a background probe: this often here.
    ROUTER_SUBGRAPH_HEALTH_INTERVAL_MS: '100',
  });
  router = createRouterFromEnv(env, capturingLogger('router', routerLines));
  ({ url: routerUrl, metricsUrl: routerMetricsUrl = '' } = await router.listen(0, '127.0.0.1'));
});

afterAll(async () => {
  await router?.close();
  await subgraph?.close();
  await subgraphRedis?.quit();
  await server?.stop();
  await revocationSource?.close();
});

describe('a Redis outage', () => {
  it('is ready, alive and metered as up while Redis is there', async () => {
    expect((await ping()).body.data).toEqual({ publicPing: 'pong' });
    expect(await json(`${routerUrl}/ready`)).toEqual({ status: 200, body: { status: 'ready', service: 'router' } });
    expect(await json(`${routerUrl}/health`)).toEqual({ status: 200, body: { status: 'ok', service: 'router', subgraphs: { widgets: 'ok' }, revocations: 'ok', supergraph: liveSupergraph } });
    expect(await redisGauge(routerMetricsUrl)).toBe('1');
  });

  it('keeps answering at once, limits per instance, and says it is degraded; then recovers', async () => {
    await server.kill();
    await waitUntil(() => transitions(routerLines).length > 0 && transitions(subgraphLines).length > 0);

    // Anonymous requests go through the router's rate limiter: answered, quickly. Memory counts
    // from zero (the hit made while Redis was up stays in Redis).
    const answered = [];
    for (let i = 0; i < PER_MINUTE + 1; i++) {
      const started = performance.now();
      answered.push(await ping());
      expect(performance.now() - started).toBeLessThan(500);
    }
    expect(answered.slice(0, PER_MINUTE).map((r) => r.body.data)).toEqual(Array(PER_MINUTE).fill({ publicPing: 'pong' }));
    // The limit still holds, counted by this router alone.
    expect(answered[PER_MINUTE]!.status).toBe(429);
    expect(answered[PER_MINUTE]!.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');

    expect(await json(`${routerUrl}/ready`)).toEqual({ status: 200, body: { status: 'degraded', service: 'router', degraded: ['redis'] } });
    await expect.poll(() => json(`${routerUrl}/health`)).toEqual({
      status: 200,
      body: { status: 'ok', service: 'router', degraded: ['redis'], subgraphs: { widgets: 'degraded (redis)' }, revocations: 'ok', supergraph: liveSupergraph },
    });
    expect(await json(`${subgraphUrl}/ready`)).toEqual({ status: 200, body: { status: 'degraded', service: 'widgets', degraded: ['redis'], checks: { database: 'ok' } } });
    expect(await json(`${subgraphUrl}/health`)).toEqual({ status: 200, body: { status: 'ok', service: 'widgets', degraded: ['redis'] } });
    expect(await redisGauge(routerMetricsUrl)).toBe('0');
    expect(await redisGauge(subgraphMetricsUrl)).toBe('0');

    // However many reconnects fail meanwhile, one line each.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(transitions(routerLines)).toEqual(['redis unavailable']);
    expect(transitions(subgraphLines)).toEqual(['redis unavailable']);
    expect(routerLines.find((l) => l.msg === 'redis unavailable')).toMatchObject({ level: 'warn', reason: expect.any(String) });

    await server.restart();
    await waitUntil(() => transitions(routerLines).length === 2 && transitions(subgraphLines).length === 2);
    expect(transitions(routerLines)).toEqual(['redis unavailable', 'redis available again']);
    expect(transitions(subgraphLines)).toEqual(['redis unavailable', 'redis available again']);
    expect(await json(`${routerUrl}/ready`)).toEqual({ status: 200, body: { status: 'ready', service: 'router' } });
    await expect.poll(() => json(`${routerUrl}/health`)).toEqual({ status: 200, body: { status: 'ok', service: 'router', subgraphs: { widgets: 'ok' }, revocations: 'ok', supergraph: liveSupergraph } });
    expect(await redisGauge(routerMetricsUrl)).toBe('1');
    // Counting is back in (the restarted, empty) Redis.
    expect((await ping()).body.data).toEqual({ publicPing: 'pong' });
  });
});

import { randomUUID } from 'node:crypto';
import { createAccessTokenVerifier, createSessionRevocations, syncFromIdentity } from '@voiceassist/auth';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { loadEnv } from '@voiceassist/env';
import { parseTrustProxy } from '@voiceassist/client-address';
import type { IdentityService } from '@voiceassist/identity';
import { createLogger, type Logger } from '@voiceassist/logging';
import { createRouter, type Router } from '@voiceassist/router';
import { subgraphServices } from '@voiceassist/services';
import type { SubgraphService } from '@voiceassist/subgraph-server';
import { createTestDatabase, testEnv, testRouterEngine, type TestDatabase } from '@voiceassist/testkit';
import { graphqlRequest, type GraphQLResponse, type RequestOptions } from '@voiceassist/testkit/graphql-client';

export interface StartSupergraphOptions {
  /** Which subgraphs to start (identity is always started); all of them by default. */
  subgraphs?: string[];
  /** Extra environment per subgraph name (defaults otherwise); undefined unsets a default. */
  env?: Record<string, Record<string, string | undefined>>;
  /** Where a subgraph logs (tests that inspect log lines pass their own). */
  loggers?: Record<string, Logger>;
  /** A Redis of the test's own (one it flushes or stops) instead of testEnv.REDIS_URL. */
  redisUrl?: string;
  /** Router options beyond the defaults (limits, shared fields). */
  router?: Partial<Omit<Parameters<typeof createRouter>[0], 'supergraphSdl' | 'verifier' | 'revocations' | 'logger'>>;
}

export interface RunningSubgraph<TService extends SubgraphService = SubgraphService> {
  /** e.g. http://127.0.0.1:41235 (GraphQL at /graphql) */
  url: string;
  service: TService;
  env: Record<string, unknown>;
}

/** What a router needs to front running subgraphs: their composed supergraph and the issuer of their tokens. */
export interface RouterTarget {
  supergraphSdl: string;
  /** identity's base URL (its JWKS at /.well-known/jwks.json). */
  identityUrl: string;
  issuer: string;
  audience: string;
}

export interface TestSupergraph {
  /** e.g. http://127.0.0.1:41234 */
  routerUrl: string;
  /** For starting another router in front of these subgraphs (benchmarks run one in its own process). */
  target: RouterTarget;
  graphqlUrl: string;
  wsUrl: string;
  router: Router;
  subgraphs: Record<string, RunningSubgraph>;
  identity: RunningSubgraph<IdentityService>;
  /** Sends a GraphQL request to the router. */
  request<TData = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<GraphQLResponse<TData>>;
  stop(): Promise<void>;
}

/** Where the test kit's router reaches its subgraphs from. */
export const ROUTER_HOP = '127.0.0.0/8,::1';

/**
 * For `router.trustProxy` when a test plays the proxy in front of the router, naming a client
 * address per request in X-Forwarded-For. The router trusts nothing otherwise, as deployed.
 */
export const TEST_CLIENT_PROXY = parseTrustProxy(ROUTER_HOP);

/** The real router in front of running subgraphs, verifying identity's tokens. */
export function createTestRouter(
  target: RouterTarget,
  options: { namespace?: string; redisUrl?: string | undefined; logger?: Logger; router?: StartSupergraphOptions['router'] } = {},
): Router {
  const jwksUrl = `${target.identityUrl}/.well-known/jwks.json`;
  const revocations = createSessionRevocations({
    redisUrl: options.redisUrl ?? testEnv.REDIS_URL,
    namespace: options.namespace ?? `test-${randomUUID()}`,
    sync: syncFromIdentity({ JWKS_URL: jwksUrl, REVOCATIONS_SYNC_INTERVAL_MS: 30_000 }),
  });
  return createRouter({
    supergraphSdl: target.supergraphSdl,
    verifier: createAccessTokenVerifier({
      keys: { jwksUrl },
      issuer: target.issuer,
      audience: target.audience,
      revocations,
    }),
    revocations,
    logger: options.logger ?? testLogger('router'),
    corsOrigins: ['http://allowed.example'],
    ...testRouterEngine,
    ...options.router,
    onClose: () => revocations.close(),
  });
}

function testLogger(service: string): Logger {
  return createLogger({ service, level: testEnv.TEST_LOG_LEVEL });
}

/**
 * Starts the real router and subgraphs in this process on free ports, over real HTTP and
 * WebSocket, with PGlite in memory, or a fresh PostgreSQL database per subgraph and Redis when
 * DATABASE_URL / REDIS_URL are set.
 */
export async function startSupergraph(options: StartSupergraphOptions = {}): Promise<TestSupergraph> {
  const namespace = `test-${randomUUID()}`;
  const redisUrl = options.redisUrl ?? testEnv.REDIS_URL;
  const wanted = new Set(['identity', ...(options.subgraphs ?? subgraphServices.map((s) => s.name))]);
  const databases: TestDatabase[] = [];
  const stops: Array<() => Promise<void>> = [];
  const running: Record<string, RunningSubgraph> = {};
  const peers: Record<string, string> = {};
  try {
    for (const definition of subgraphServices.filter((s) => wanted.has(s.name))) {
      const database = await createTestDatabase();
      databases.push(database);
      const env = loadEnv(definition.envSchema, {
        NODE_ENV: 'test',
        // As deployed: subgraphs take the client's address from the router (on loopback here).
        TRUST_PROXY: ROUTER_HOP,
        ...(peers.identity ? { JWKS_URL: peers.identity.replace(/\/graphql$/, '/.well-known/jwks.json') } : {}),
        ...options.env?.[definition.name],
      }) as never;
      const service = await definition.create({
        env,
        logger: options.loggers?.[definition.name] ?? testLogger(definition.name),
        infra: { databaseUrl: database.url, redisUrl, namespace },
        peers: { ...peers },
      });
      stops.unshift(() => service.close());
      const { url } = await service.server.listen(0, '127.0.0.1');
      running[definition.name] = { url, service, env };
      peers[definition.name] = `${url}/graphql`;
    }

    const identity = running.identity as RunningSubgraph<IdentityService>;
    const identityEnv = identity.env as { AUTH_ISSUER: string; AUTH_AUDIENCE: string };
    const supergraphSdl = composeSupergraph(
      subgraphServices.filter((s) => running[s.name]).map((s) => ({ name: s.name, url: peers[s.name]!, typeDefs: s.module.typeDefs })),
    );
    const target: RouterTarget = { supergraphSdl, identityUrl: identity.url, issuer: identityEnv.AUTH_ISSUER, audience: identityEnv.AUTH_AUDIENCE };
    const router = createTestRouter(target, { namespace, redisUrl, logger: options.loggers?.router ?? testLogger('router'), router: options.router });
    stops.unshift(() => router.close());
    const { url: routerUrl } = await router.listen(0, '127.0.0.1');
    const graphqlUrl = `${routerUrl}/graphql`;
    return {
      routerUrl,
      graphqlUrl,
      wsUrl: graphqlUrl.replace(/^http/, 'ws'),
      target,
      router,
      subgraphs: running,
      identity,
      request: (query, variables, requestOptions) => graphqlRequest(graphqlUrl, query, variables, requestOptions),
      async stop() {
        for (const stop of stops) await stop();
        for (const db of databases) await db.drop();
      },
    };
  } catch (error) {
    for (const stop of stops) await stop().catch(() => {});
    for (const db of databases) await db.drop().catch(() => {});
    throw error;
  }
}

import { randomUUID } from 'node:crypto';
import { createAccessTokenVerifier, createSessionRevocations } from '@voiceassist/auth';
import { composeSupergraph } from '@voiceassist/composition';
import { loadEnv } from '@voiceassist/env';
import { createIdentityService, identityEnvSchema, identitySubgraph, type IdentityService } from '@voiceassist/identity';
import { createLogger, type Logger } from '@voiceassist/logging';
import { createRouter, type Router } from '@voiceassist/router';
import { createTestDatabase, type TestDatabase } from './database.js';
import { graphqlRequest, type GraphQLResponse, type RequestOptions } from './graphql-client.js';

export { createTestDatabase, graphqlRequest, type GraphQLResponse, type RequestOptions, type TestDatabase };

export interface StartSupergraphOptions {
  /** Extra variables for the identity subgraph's env (defaults otherwise). */
  identityEnv?: Record<string, string>;
  /** Where identity logs (tests that inspect log lines pass their own). */
  identityLogger?: Logger;
}

export interface TestSupergraph {
  /** e.g. http://127.0.0.1:41234 */
  routerUrl: string;
  graphqlUrl: string;
  wsUrl: string;
  router: Router;
  identity: { url: string; service: IdentityService };
  /** Sends a GraphQL request to the router. */
  request<TData = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<GraphQLResponse<TData>>;
  stop(): Promise<void>;
}

function testLogger(service: string): Logger {
  return createLogger({ service, level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent' });
}

/**
 * Starts the real router and subgraphs in this process on free ports, over real HTTP, with
 * PGlite in memory, or a fresh PostgreSQL database and Redis when DATABASE_URL / REDIS_URL are set.
 */
export async function startSupergraph(options: StartSupergraphOptions = {}): Promise<TestSupergraph> {
  const namespace = `test-${randomUUID()}`;
  const redisUrl = process.env.REDIS_URL || undefined;
  const databases: TestDatabase[] = [];
  const stops: Array<() => Promise<void>> = [];
  try {
    const identityDb = await createTestDatabase();
    databases.push(identityDb);
    const identityEnv = loadEnv(identityEnvSchema, { NODE_ENV: 'test', ...options.identityEnv });
    const identity = await createIdentityService({
      env: identityEnv,
      logger: options.identityLogger ?? testLogger('identity'),
      infra: { databaseUrl: identityDb.url, redisUrl, namespace },
    });
    stops.push(() => identity.close());
    const { url: identityUrl } = await identity.server.listen(0, '127.0.0.1');

    const supergraphSdl = composeSupergraph([{ name: identitySubgraph.name, url: `${identityUrl}/graphql`, typeDefs: identitySubgraph.typeDefs }]);
    const revocations = createSessionRevocations({ redisUrl, namespace });
    const router = createRouter({
      supergraphSdl,
      verifier: createAccessTokenVerifier({
        keys: { jwksUrl: `${identityUrl}/.well-known/jwks.json` },
        issuer: identityEnv.AUTH_ISSUER,
        audience: identityEnv.AUTH_AUDIENCE,
        revocations,
      }),
      revocations,
      logger: testLogger('router'),
      corsOrigins: ['http://allowed.example'],
      onClose: () => revocations.close(),
    });
    stops.unshift(() => router.close());
    const { url: routerUrl } = await router.listen(0, '127.0.0.1');
    const graphqlUrl = `${routerUrl}/graphql`;
    return {
      routerUrl,
      graphqlUrl,
      wsUrl: graphqlUrl.replace(/^http/, 'ws'),
      router,
      identity: { url: identityUrl, service: identity },
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

import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { createLogger } from '@voiceassist/logging';
import { execute, parse, type GraphQLSchema } from 'graphql';
import { testEnv } from '@voiceassist/testkit/env';
import { createRouter, type Router, type RouterEngine, type RouterOptions } from '../router.js';

export type { RouterEngine };
import { TestIssuer } from '../../testing/issuer.js';

// The federation conformance suites of graphql-hive/federation-gateway-audit, re-expressed as
// data: each suites/<name>.json holds the suite's subgraph schemas, its records and its cases
// (a query and the response a correct gateway gives); suites/<name>.ts holds our resolvers,
// which answer from those records. The harness serves the subgraphs in-process with
// @apollo/subgraph, composes them with our composition package, starts the router with
// createRouter on that supergraph, and sends each case's query through it.

export interface SuiteFixture {
  name: string;
  subgraphs: Array<{ name: string; typeDefs: string }>;
  /** The suite's records, read by its resolvers. */
  data: Record<string, unknown>;
  cases: Array<{ query: string; expected: { data?: unknown; errors?: boolean } }>;
}

/** A suite's resolvers, per subgraph name, built from its records. */
export type SuiteResolvers = (data: never) => Record<string, Record<string, object>>;


const suitesDir = new URL('./suites/', import.meta.url);

export function suiteNames(): string[] {
  return readdirSync(suitesDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

export function readSuite(name: string): SuiteFixture {
  return JSON.parse(readFileSync(new URL(`${name}.json`, suitesDir), 'utf8')) as SuiteFixture;
}

export async function readSuiteResolvers(name: string): Promise<SuiteResolvers> {
  const module = (await import(new URL(`${name}.ts`, suitesDir).href)) as { default: SuiteResolvers };
  return module.default;
}

/** What the audit compares: data (null when absent), and whether errors came when the case says. */
export function comparable(response: { data?: unknown; errors?: unknown[] }, expected: SuiteFixture['cases'][number]['expected']) {
  const checksErrors = typeof expected.errors === 'boolean';
  return {
    received: { data: response.data ?? null, errors: checksErrors ? Boolean(response.errors?.length) : null },
    expected: { data: expected.data ?? null, errors: checksErrors ? expected.errors : null },
  };
}

export interface RunningSuite {
  /** The router's GraphQL endpoint. */
  url: string;
  query(query: string): Promise<{ data?: unknown; errors?: unknown[] }>;
  close(): Promise<void>;
}

/** One node:http server answering every subgraph of a suite under /<subgraph name>. */
async function serveSubgraphs(schemas: Map<string, GraphQLSchema>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const schema = schemas.get(req.url?.slice(1) ?? '');
    if (!schema || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query: string; variables?: Record<string, unknown>; operationName?: string };
          const result = await execute({ schema, document: parse(body.query), variableValues: body.variables, operationName: body.operationName });
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
        } catch (error) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: (error as Error).message }] }));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The router options that select an engine. */
function engineOptions(engine: RouterEngine): Pick<RouterOptions, 'engine' | 'queryPlanner'> {
  return engine === 'native' ? { engine, ...(testEnv.TEST_QUERY_PLANNER ? { queryPlanner: testEnv.TEST_QUERY_PLANNER } : {}) } : { engine };
}

export async function startSuite(fixture: SuiteFixture, resolvers: SuiteResolvers, engine: RouterEngine): Promise<RunningSuite> {
  const resolverMaps = resolvers(fixture.data as never);
  const schemas = new Map(
    fixture.subgraphs.map(({ name, typeDefs }) => [name, buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers: (resolverMaps[name] ?? {}) as never })]),
  );
  const subgraphs = await serveSubgraphs(schemas);
  let router: Router | undefined;
  try {
    const supergraphSdl = composeSupergraph(fixture.subgraphs.map(({ name, typeDefs }) => ({ name, url: `${subgraphs.url}/${name}`, typeDefs: parse(typeDefs) })));
    const issuer = await TestIssuer.create();
    router = createRouter({
      supergraphSdl,
      verifier: issuer.verifier,
      revocations: issuer.revocations,
      logger: createLogger({ service: 'router', level: 'silent' }),
      // The suites check federation, not the edge: no operation limits, no rate limits.
      edge: { limits: undefined },
      ...engineOptions(engine),
    });
    const url = `${(await router.listen(0, '127.0.0.1')).url}/graphql`;
    const running = router;
    return {
      url,
      async query(query) {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ query }) });
        return (await response.json()) as { data?: unknown; errors?: unknown[] };
      },
      async close() {
        await running.close();
        subgraphs.server.closeAllConnections();
        await new Promise<void>((resolve) => subgraphs.server.close(() => resolve()));
      },
    };
  } catch (error) {
    await router?.close();
    subgraphs.server.close();
    throw error;
  }
}

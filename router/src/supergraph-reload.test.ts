import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { createLogger } from '@voiceassist/logging';
import { testRouterEngine } from '@voiceassist/testkit/env';
import { waitUntil } from '@voiceassist/testkit/wait';
import type { SubgraphServer } from '@voiceassist/subgraph-server';
import { catalogModule, startTestSubgraph, TestIssuer } from '../testing/fixtures.js';
import { createRouter, type Router } from './router.js';
import { supergraphHash } from './supergraph-reload.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';
// The catalog subgraph serves `Item.name` all along; the first supergraph does not have it yet.
const withoutName = parse(`${LINK}
  type Query { item(id: ID!): Item }
  type Item @key(fields: "id") { id: ID! }
`);

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

describe.each(['apollo', 'native'] as const)('supergraph hot reload (%s engine)', (engine) => {
  const issuer = new TestIssuer();
  const logLines: Array<Record<string, unknown>> = [];
  let catalog: { server: SubgraphServer; url: string };
  let router: Router;
  let url: string;
  let metricsUrl: string;
  let dir: string;
  let supergraphPath: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    catalog = await startTestSubgraph(catalogModule, issuer.verifier);
    first = composeSupergraph([{ name: 'catalog', url: `${catalog.url}/graphql`, typeDefs: withoutName }]);
    second = composeSupergraph([{ name: 'catalog', url: `${catalog.url}/graphql`, typeDefs: catalogModule.typeDefs }]);
    dir = await mkdtemp(join(tmpdir(), 'supergraph-reload-'));
    supergraphPath = join(dir, 'supergraph.graphql');
    await writeFile(supergraphPath, first);
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => logLines.push(...chunk.toString().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)));
    router = createRouter({
      supergraphSdl: first,
      supergraphPath,
      watchSupergraph: true,
      supergraphWatchDebounceMs: 50,
      verifier: issuer.verifier,
      revocations: issuer.revocations,
      logger: createLogger({ service: 'router', level: 'info', destination }),
      metricsListener: { port: 0, host: '127.0.0.1' },
      ...testRouterEngine,
      engine,
    });
    const listening = await router.listen(0, '127.0.0.1');
    url = `${listening.url}/graphql`;
    metricsUrl = listening.metricsUrl!;
  });

  afterAll(async () => {
    await router.close();
    await catalog.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const query = async (document: string): Promise<{ status: number; body: GraphQLAnswer }> => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: document }) });
    return { status: response.status, body: (await response.json()) as GraphQLAnswer };
  };
  const health = async () => ((await (await fetch(new URL('/health', url))).json()) as { supergraph: { hash: string; refused?: { hash: string; reason: string } } }).supergraph;
  const liveHashMetric = async () => /^router_supergraph_info\{[^}]*hash="([0-9a-f]+)"[^}]*\} 1$/m.exec(await (await fetch(metricsUrl)).text())?.[1];

  it('swaps in a rewritten file under continuous load without a failed request, then answers the new field', async () => {
    expect((await query('{ item(id: "item-1") { id name } }')).body).toMatchObject({ errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    expect(await health()).toMatchObject({ hash: supergraphHash(first) });

    // Eight clients query without pause while the file is rewritten; every answer must be whole.
    let loading = true;
    const failures: unknown[] = [];
    let answered = 0;
    const client = async () => {
      while (loading) {
        const answer = await query('{ item(id: "item-1") { id } }').catch((error: unknown) => ({ status: 0, body: { errors: [{ message: String(error) }] } as GraphQLAnswer }));
        if (answer.status !== 200 || answer.body.errors || JSON.stringify(answer.body.data) !== '{"item":{"id":"item-1"}}') failures.push(answer);
        answered += 1;
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await waitUntil(() => answered >= 50);
    // Written beside it and renamed over it, as composition tools and editors do.
    await writeFile(`${supergraphPath}.tmp`, second);
    await rename(`${supergraphPath}.tmp`, supergraphPath);
    await waitUntil(() => router.supergraphHash === supergraphHash(second));
    const answeredAtSwap = answered;
    await waitUntil(() => answered >= answeredAtSwap + 50);
    loading = false;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    expect(await query('{ item(id: "item-1") { id name } }')).toEqual({ status: 200, body: { data: { item: { id: 'item-1', name: 'Item #1' } } } });
    expect(await health()).toMatchObject({ hash: supergraphHash(second) });
    expect(await liveHashMetric()).toBe(supergraphHash(second));
    expect(logLines).toContainEqual(expect.objectContaining({ msg: 'supergraph reloaded', hash: supergraphHash(second), previousHash: supergraphHash(first) }));
  });

  it('refuses an invalid file and keeps serving the supergraph it had, saying which one is live', async () => {
    const invalid = 'type Query {';
    await writeFile(supergraphPath, invalid);
    await waitUntil(async () => (await health()).refused?.hash === supergraphHash(invalid));

    expect(await health()).toMatchObject({ hash: supergraphHash(second), refused: { hash: supergraphHash(invalid), reason: expect.any(String) } });
    expect(await query('{ item(id: "item-1") { id name } }')).toEqual({ status: 200, body: { data: { item: { id: 'item-1', name: 'Item #1' } } } });
    expect(await liveHashMetric()).toBe(supergraphHash(second));
    expect(await (await fetch(metricsUrl)).text()).toMatch(/^router_supergraph_reloads_total\{[^}]*outcome="refused"[^}]*\} [1-9]/m);
    expect(logLines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'supergraph refused; the previous one keeps serving', hash: supergraphHash(invalid), liveHash: supergraphHash(second) }),
    );
  });

  it('reloads on request (what SIGHUP does) and leaves an unchanged file alone', async () => {
    await writeFile(supergraphPath, first);
    // The watcher may have got there first; either way the first supergraph serves again.
    const reload = await router.reloadSupergraph();
    expect(['reloaded', 'unchanged']).toContain(reload.outcome);
    expect(router.supergraphHash).toBe(supergraphHash(first));
    expect(await router.reloadSupergraph()).toEqual({ outcome: 'unchanged', hash: supergraphHash(first) });
    expect((await query('{ item(id: "item-1") { id name } }')).body).toMatchObject({ errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    expect(await query('{ item(id: "item-1") { id } }')).toEqual({ status: 200, body: { data: { item: { id: 'item-1' } } } });
  });
});

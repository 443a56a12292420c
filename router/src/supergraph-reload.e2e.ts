import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import type { SubgraphServer } from '@voiceassist/subgraph-server';
import { waitUntil } from '@voiceassist/testkit/wait';
import { buildRouter, startBuiltRouter, type BuiltRouter } from '../testing/built-router.js';
import { supergraphHash } from './supergraph-reload.js';
import { catalogModule, startTestSubgraph, TestIssuer } from '../testing/fixtures.js';

// The router as deployed (`pnpm build`'s bundle run by node) reloads its supergraph on SIGHUP,
// with SUPERGRAPH_WATCH=false so nothing but the signal can have done it.
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';
const withoutName = parse(`${LINK}
  type Query { item(id: ID!): Item }
  type Item @key(fields: "id") { id: ID! }
`);

/** A port free right now (the built router takes a port number, not 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the built router on SIGHUP', () => {
  const issuer = new TestIssuer();
  let catalog: { server: SubgraphServer; url: string };
  let router: BuiltRouter;
  let dir: string;
  let supergraphPath: string;
  let second: string;

  beforeAll(async () => {
    catalog = await startTestSubgraph(catalogModule, issuer.verifier);
    const first = composeSupergraph([{ name: 'catalog', url: `${catalog.url}/graphql`, typeDefs: withoutName }]);
    second = composeSupergraph([{ name: 'catalog', url: `${catalog.url}/graphql`, typeDefs: catalogModule.typeDefs }]);
    dir = await mkdtemp(join(tmpdir(), 'supergraph-sighup-'));
    supergraphPath = join(dir, 'supergraph.graphql');
    await writeFile(supergraphPath, first);
    await buildRouter();
    router = await startBuiltRouter(await freePort(), { SUPERGRAPH_PATH: supergraphPath, SUPERGRAPH_WATCH: 'false', NODE_ENV: 'production', LOG_LEVEL: 'error' });
  }, 120_000);

  afterAll(async () => {
    await router?.close();
    await catalog?.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const itemName = async () => {
    const response = await fetch(router.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ item(id: "item-2") { name } }' }) });
    return (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
  };
  const liveHash = async () => ((await (await fetch(new URL('/health', router.url))).json()) as { supergraph: { hash: string } }).supergraph.hash;

  it('serves the rewritten file after SIGHUP, not before', async () => {
    await writeFile(supergraphPath, second);
    // Not watched: the file alone changes nothing.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await itemName()).toMatchObject({ errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });

    process.kill(router.pid, 'SIGHUP');
    await waitUntil(async () => (await liveHash()) === supergraphHash(second), 20_000);
    expect(await itemName()).toEqual({ data: { item: { name: 'Item #2' } } });
  });
});

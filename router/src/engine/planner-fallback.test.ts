import { createServer } from 'node:http';
import { parse } from 'graphql';
import { expect, it } from 'vitest';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { createLogger } from '@voiceassist/logging';
import { createRouter } from '../router.js';
import { TestIssuer } from '../../testing/fixtures.js';

// Where Hive's native binary cannot load, the router still starts, plans with Apollo's planner,
// and says so in /health (and /ready).
it("serves on Apollo's planner and names the missing Hive planner in /health", async () => {
  const subgraph = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(req.url === '/health' ? '{"status":"ok"}' : JSON.stringify({ data: { widget: 'sprocket' } }));
  });
  await new Promise<void>((resolve) => subgraph.listen(0, '127.0.0.1', resolve));
  const port = (subgraph.address() as { port: number }).port;
  const issuer = await TestIssuer.create();
  const supergraphSdl = composeSupergraph([
    {
      name: 'widgets',
      url: `http://127.0.0.1:${port}/graphql`,
      typeDefs: parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
        type Query { widget: String }`),
    },
  ]);
  const router = createRouter({
    supergraphSdl,
    verifier: issuer.verifier,
    revocations: issuer.revocations,
    logger: createLogger({ service: 'test', level: 'silent' }),
    engine: 'native',
    loadHivePlanner: () => {
      throw new Error('Cannot find native binding');
    },
  });
  try {
    const { url } = await router.listen(0, '127.0.0.1');
    const health = (await (await fetch(`${url}/health`)).json()) as { degraded?: string[] };
    expect(health.degraded).toEqual(['hive-query-planner']);
    const answer = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ widget }' }) });
    expect(await answer.json()).toEqual({ data: { widget: 'sprocket' } });
  } finally {
    await router.close();
    await new Promise((resolve) => subgraph.close(resolve));
  }
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@voiceassist/logging';
import { createRouter, type Router } from '../../src/router.js';
import { TestIssuer } from '../../testing/issuer.js';
import { expectedTestQueryResponse, readWorkload, routeSupergraph, startWorkloadSubgraphs, type WorkloadSubgraphs } from './workload.js';

// The gateway benchmark's yardstick: the answer it checks every response against is the one
// the router gives over our subgraphs, and the subgraphs see the fetches Apollo's plan makes.
const { records, supergraphSdl, query } = readWorkload();
let subgraphs: WorkloadSubgraphs;
let router: Router;
let url: string;

beforeAll(async () => {
  subgraphs = await startWorkloadSubgraphs(records);
  const issuer = await TestIssuer.create();
  router = createRouter({
    supergraphSdl: routeSupergraph(supergraphSdl, subgraphs.url),
    verifier: issuer.verifier,
    revocations: issuer.revocations,
    logger: createLogger({ service: 'test', level: 'silent' }),
    edge: { limits: { maxDepth: 15, maxAliases: 30, maxRootFields: 20, maxTokens: 5_000, maxDirectives: 50, maxCost: 100_000_000, defaultListSize: 10 } },
  });
  url = `${(await router.listen(0, '127.0.0.1')).url}/graphql`;
});

afterAll(async () => {
  await router?.close();
  await subgraphs?.close();
});

describe('gateways benchmark workload', () => {
  it('routes every subgraph of the supergraph to our server', () => {
    const routed = routeSupergraph(supergraphSdl, 'http://127.0.0.1:1');
    expect(routed.match(/url: "http:[^"]+"/g)).toEqual(['accounts', 'inventory', 'products', 'reviews'].map((name) => `url: "http://127.0.0.1:1/${name}"`));
  });

  it('answers TestQuery through the router exactly as computed from the records', async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, operationName: 'TestQuery' }) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { users: unknown[]; topProducts: unknown[] } };
    expect(body).toEqual(expectedTestQueryResponse(records));
    expect(body.data.users).toHaveLength(6);
    expect(body.data.topProducts).toHaveLength(5);
    // 87 KB, as the public benchmark's answer.
    expect(JSON.stringify(body).length).toBeGreaterThan(87_000);
    expect(Object.values(subgraphs.calls).every((n) => n > 0)).toBe(true);
  });

  it('answers a repeated TestQuery the same from replayed subgraph answers, each call still counted', async () => {
    const post = () => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, operationName: 'TestQuery' }) });
    await post();
    const callsBefore = Object.values(subgraphs.calls).reduce((sum, n) => sum + n, 0);
    const again = await post();
    expect(await again.json()).toEqual(expectedTestQueryResponse(records));
    expect(Object.values(subgraphs.calls).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(callsBefore);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf } from '@voiceassist/testkit';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';

// Inbound deduplication in the native engine: identical concurrent queries of one caller share
// one execution; other callers, and mutations, never do.

const PASSWORD = 'violet kettle harbour';
let supergraph: TestSupergraph;
const tokens: Record<string, string> = {};

async function metric(name: string): Promise<number> {
  const metrics = await supergraph.router.metrics.registry.getMetricsAsJSON();
  const found = metrics.find((m) => m.name === name);
  return (found?.values ?? []).filter((v) => !('metricName' in v) || v.metricName === `${name}_count` || v.metricName === name).reduce((sum, v) => sum + v.value, 0);
}

const subgraphFetches = () => metric('router_subgraph_fetch_duration_seconds');
const deduplicated = () => metric('router_deduplicated_queries_total');

beforeAll(async () => {
  supergraph = await startSupergraph({
    subgraphs: ['identity'],
    env: { identity: { AUTH_THROTTLE_PER_MINUTE: '1000' } },
    router: { engine: 'native', deduplicateQueries: true },
  });
  for (const name of ['ann', 'bob']) {
    const registered = dataOf(
      await supergraph.request<{ register: { accessToken: string } }>('mutation ($input: RegisterInput!) { register(input: $input) { accessToken } }', {
        input: { email: `${name}@example.org`, password: PASSWORD, displayName: name },
      }),
    );
    tokens[name] = registered.register.accessToken;
  }
}, 120_000);

afterAll(() => supergraph?.stop());

describe('query deduplication', () => {
  it('shares one execution among identical concurrent queries of one caller, never across callers', async () => {
    const fetchesBefore = await subgraphFetches();
    const sharedBefore = await deduplicated();
    const query = '{ me { email displayName } }';
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const caller = i % 2 === 0 ? 'ann' : 'bob';
        return supergraph.request<{ me: { email: string } }>(query, {}, { token: tokens[caller] }).then((r) => ({ caller, email: dataOf(r).me.email }));
      }),
    );
    for (const { caller, email } of answers) expect(email).toBe(`${caller}@example.org`);
    const shared = (await deduplicated()) - sharedBefore;
    const fetched = (await subgraphFetches()) - fetchesBefore;
    expect(shared).toBeGreaterThan(0);
    expect(shared + fetched).toBe(20);
  });

  it('never shares mutations', async () => {
    const fetchesBefore = await subgraphFetches();
    const sharedBefore = await deduplicated();
    const mutation = 'mutation { updateMe(input: { displayName: "Ann B" }) { displayName } }';
    const answers = await Promise.all(Array.from({ length: 6 }, () => supergraph.request(mutation, {}, { token: tokens.ann })));
    for (const answer of answers) expect(dataOf(answer)).toEqual({ updateMe: { displayName: 'Ann B' } });
    expect((await deduplicated()) - sharedBefore).toBe(0);
    expect((await subgraphFetches()) - fetchesBefore).toBe(6);
  });
});

import { OperationTypeNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Histogram, Registry } from '@voiceassist/metrics';
import { TestIssuer, catalogModule, startTestSubgraph } from '../../testing/fixtures.js';
import { executePlan } from './executor.js';
import type { FetchNode, PlanNode } from './plan.js';
import { SubgraphClient } from './subgraph-client.js';

// The executor against a real subgraph over HTTP: what it sends, and what lands in the result.

let catalog: Awaited<ReturnType<typeof startTestSubgraph>>;
let client: SubgraphClient;
let latency: Histogram<'subgraph' | 'outcome'>;

beforeAll(async () => {
  catalog = await startTestSubgraph(catalogModule, (await TestIssuer.create()).verifier);
  latency = new Histogram({ name: 'fetches', help: 'fetches', labelNames: ['subgraph', 'outcome'] as const, registers: [new Registry()] });
  client = new SubgraphClient('catalog', `${catalog.url}/graphql`, latency, 10_000);
});

afterAll(async () => {
  client?.close();
  await catalog?.server.close();
});

async function requestsSent(): Promise<number> {
  return (await latency.get()).values.filter((v) => v.metricName === 'fetches_count').reduce((sum, v) => sum + v.value, 0);
}

function fetchNode(operation: string, requires?: FetchNode['requires']): FetchNode {
  return { kind: 'Fetch', serviceName: 'catalog', operation, operationName: undefined, operationKind: OperationTypeNode.QUERY, variableUsages: [], requires, inputRewrites: undefined, outputRewrites: undefined };
}

const rootFetch = fetchNode('{ a: item(id: "item-1") { __typename id } b: item(id: "item-1") { __typename id } }');
const nameFetch = fetchNode('query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Item { name } } }', [
  { kind: 'InlineFragment', typeCondition: 'Item', selections: [{ kind: 'Field', name: '__typename' }, { kind: 'Field', name: 'id' }] },
]);

describe('plan executor', () => {
  it('sends identical fetches of one plan once, each place getting its own copy of the answer', async () => {
    // The same root fetch twice, then the same entity fetch for two places holding the same item.
    const plan: PlanNode = {
      kind: 'Sequence',
      nodes: [
        { kind: 'Parallel', nodes: [rootFetch, rootFetch] },
        {
          kind: 'Parallel',
          nodes: [
            { kind: 'Flatten', path: [{ field: 'a' }], node: nameFetch },
            { kind: 'Flatten', path: [{ field: 'b' }], node: nameFetch },
          ],
        },
      ],
    };
    const before = await requestsSent();
    const { data, errors } = await executePlan(plan, { subgraphs: { catalog: client }, matches: (a, b) => a === b, variables: {}, coercedVariables: {}, context: undefined });
    expect(errors).toEqual([]);
    const item = { __typename: 'Item', id: 'item-1', name: 'Item #1' };
    expect(data).toEqual({ a: item, b: item });
    expect(data.a).not.toBe(data.b);
    expect((await requestsSent()) - before).toBe(2);

    // A later run sends its fetches again: nothing is shared across requests.
    await executePlan(plan, { subgraphs: { catalog: client }, matches: (a, b) => a === b, variables: {}, coercedVariables: {}, context: undefined });
    expect((await requestsSent()) - before).toBe(4);
  });

  it('sends a fetch that differs by its variables or subgraph operation separately', async () => {
    const byVariable = fetchNode('query ($id: ID!) { item(id: $id) { id } }');
    byVariable.variableUsages = ['id'];
    const plan: PlanNode = { kind: 'Parallel', nodes: [byVariable, byVariable, fetchNode('{ other: item(id: "item-2") { id } }')] };
    const before = await requestsSent();
    const { data } = await executePlan(plan, { subgraphs: { catalog: client }, matches: (a, b) => a === b, variables: { id: 'item-3' }, coercedVariables: { id: 'item-3' }, context: undefined });
    expect(data).toEqual({ item: { id: 'item-3' }, other: { id: 'item-2' } });
    expect((await requestsSent()) - before).toBe(2);
  });
});

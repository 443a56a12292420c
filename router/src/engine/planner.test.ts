import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@voiceassist/logging';
import { Registry } from '@voiceassist/metrics';
import { readSupergraph } from '../supergraph.js';
import { PlanCache } from './plan-cache.js';
import { UnsupportedPlanError, fromHivePlan, type FetchNode, type PlanNode } from './plan.js';
import { createEnginePlanner, loadHivePlanner } from './planner.js';

const supergraphSdl = readSupergraph();
const logger = createLogger({ service: 'test', level: 'silent' });
const QUERY = '{ me { id email usage { remaining } conversations(first: 2) { edges { node { id owner { displayName } } } } } }';

function fetches(node: PlanNode | undefined): FetchNode[] {
  if (!node) return [];
  switch (node.kind) {
    case 'Fetch':
      return [node];
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(fetches);
    case 'Flatten':
      return fetches(node.node);
    case 'Condition':
      return [...fetches(node.ifClause), ...fetches(node.elseClause)];
    case 'BatchFetch':
      return [];
  }
}

describe('engine planner', () => {
  it("plans with Hive's native planner by default, in the engine's plan shape", () => {
    const planner = createEnginePlanner({ wanted: 'hive', supergraphSdl, logger });
    expect(planner).toMatchObject({ name: 'hive', fallbackReason: undefined });
    const plan = planner.plan(QUERY, parse(QUERY), undefined);
    const services = fetches(plan).map((fetch) => fetch.serviceName);
    expect(services).toEqual(['identity', 'conversation', 'identity']);
    expect(fetches(plan)[1]!.requires).toEqual([{ kind: 'InlineFragment', typeCondition: 'User', selections: expect.arrayContaining([{ kind: 'Field', name: 'role', fetchedAs: undefined, selections: undefined }]) }]);
  });

  it('plans operations whose every root field a literal @include(if: false) or @skip(if: true) excludes, with both planners', () => {
    for (const wanted of ['hive', 'apollo'] as const) {
      const planner = createEnginePlanner({ wanted, supergraphSdl, logger });
      for (const query of [
        '{ conversations(first: 3) @include(if: false) { edges { cursor } } }',
        '{ me @skip(if: true) { id } ... on Query @include(if: false) { documents(first: 1) { edges { cursor } } } }',
      ]) {
        expect(fetches(planner.plan(query, parse(query), undefined)), `${wanted}: ${query}`).toEqual([]);
      }
      // Only what never runs is pruned: the rest is still fetched.
      const mixed = '{ me @skip(if: true) { id } conversations(first: 1) { edges { cursor } } }';
      expect(fetches(planner.plan(mixed, parse(mixed), undefined)).map((fetch) => fetch.serviceName), wanted).toEqual(['conversation']);
    }
  });

  it("falls back to Apollo's planner, saying why, where the native binary does not load", () => {
    const lines: string[] = [];
    const recording = createLogger({ service: 'test', level: 'warn', destination: { write: (line: string) => lines.push(line) } });
    const planner = createEnginePlanner({
      wanted: 'hive',
      supergraphSdl,
      logger: recording,
      loadHive: () => {
        throw new Error('Cannot find native binding. npm has a bug related to optional dependencies');
      },
    });
    expect(planner.name).toBe('apollo');
    expect(planner.fallbackReason).toMatch(/Hive's query planner did not load \(Cannot find native binding.*\); planning with Apollo's/);
    expect(lines.some((line) => JSON.parse(line).msg === planner.fallbackReason)).toBe(true);
    expect(fetches(planner.plan(QUERY, parse(QUERY), undefined)).map((fetch) => fetch.serviceName)).toEqual(['identity', 'conversation', 'identity']);
  });

  it("plans with Apollo's planner an operation Hive's planner fails on, instead of failing the request", () => {
    // Found by the differential test (seed 20792): Hive's planner cannot build this one's fetch graph.
    const query = `query Generated($f0: Boolean!, $f1: Boolean!, $f2: Boolean!, $f3: Boolean!, $f4: Boolean!, $f5: Boolean!, $f6: Boolean!, $f7: Boolean!, $f8: Boolean!, $f9: Boolean!, $f10: Boolean!, $f11: Boolean!, $f12: Boolean!, $f13: Boolean!, $f14: Boolean!, $f15: Boolean!, $f16: Boolean!, $f17: Boolean!) { flagHistory(key: "diff.one", first: 3) { before occurredAt @include(if: $f0) actor { settings @skip(if: $f1) usage { periodEnd periodEnd budget promptTokens __typename ... on UsageSummary { completionTokens __typename } } } actor @include(if: $f2) { __typename settings email id } } ... on Query @skip(if: $f3) { featureFlag(key: "diff.one") { ... on FeatureFlag { __typename visibility rules { ... on TargetingRule { ... on TargetingRule @skip(if: $f7) { ... on TargetingRule { values @skip(if: $f8) } values attribute } attribute } attribute a1: enabled } key @skip(if: $f6) } variants { value } variants @skip(if: $f5) { weight value @include(if: false) } variants { a0: value @skip(if: $f4) } } a2: users(first: 3) @include(if: true) { pageInfo @include(if: $f11) { endCursor a3: endCursor endCursor @skip(if: $f9) endCursor @skip(if: $f10) } pageInfo { endCursor hasNextPage hasNextPage hasNextPage } } user(id: "68ca7ea6-3b4c-4205-b8f9-0e05d27c4aca") { conversations(first: 3) { pageInfo @skip(if: $f13) { hasNextPage @include(if: $f12) endCursor endCursor endCursor } pageInfo { hasNextPage } ... on ConversationConnection { __typename } } usage { remaining a4: tokens __typename } a5: conversations(first: 3) { pageInfo { endCursor hasNextPage a8: hasNextPage @include(if: false) endCursor __typename } a7: edges { cursor cursor cursor } edges { __typename cursor cursor @include(if: $f14) a6: cursor } } ... on User { a13: active @skip(if: $f17) a11: usage { tokens ... on UsageSummary { __typename remaining @skip(if: $f16) a12: periodStart completionTokens } } a9: usage { a10: tokens remaining ... on UsageSummary { periodStart completionTokens @include(if: $f15) promptTokens @include(if: true) } } id } } __typename } }`;
    const lines: string[] = [];
    const recording = createLogger({ service: 'test', level: 'warn', destination: { write: (line: string) => lines.push(line) } });
    expect(() => new (loadHivePlanner().QueryPlanner)(supergraphSdl).plan(query, null, new Set(), 0)).toThrow(/Failed to plan query/);
    const plan = createEnginePlanner({ wanted: 'hive', supergraphSdl, logger: recording }).plan(query, parse(query), undefined);
    expect(new Set(fetches(plan).map((fetch) => fetch.serviceName))).toEqual(new Set(['flags', 'identity', 'conversation']));
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["Hive's query planner could not plan an operation; planning it with Apollo's"]);
  });

  it('plans @defer inline with both planners (the engine cuts the deferred parts out of the answer itself), and refuses a Defer node clearly', () => {
    const query = '{ me { id ... @defer { email conversations { edges { cursor } } } } }';
    for (const wanted of ['hive', 'apollo'] as const) {
      const plan = createEnginePlanner({ wanted, supergraphSdl, logger }).plan(query, parse(query), undefined);
      expect(fetches(plan).map((fetch) => fetch.serviceName)).toEqual(['identity', 'conversation']);
    }
    expect(() => fromHivePlan({ kind: 'Defer', primary: {}, deferred: [] })).toThrow(new UnsupportedPlanError('Defer plan nodes are not supported: the engine plans @defer inline and cuts the deferred parts out of the answer'));
  });
});

describe('plan cache', () => {
  it('keeps the most recently used plans up to its capacity and counts hits and misses', async () => {
    const registry = new Registry();
    const cache = new PlanCache<string>(2, registry);
    let built = 0;
    const get = (key: string) => cache.getOrCreate(key, () => `${key}#${++built}`);
    expect([get('a'), get('b'), get('a'), get('c')]).toEqual(['a#1', 'b#2', 'a#1', 'c#3']);
    expect(get('a')).toBe('a#1');
    expect(get('b')).toBe('b#4');
    expect(cache.size).toBe(2);
    const metrics = await registry.getMetricsAsJSON();
    const lookups = metrics.find((metric) => metric.name === 'router_plan_cache_lookups_total')!.values;
    expect(Object.fromEntries(lookups.map((value) => [value.labels.result, value.value]))).toEqual({ hit: 2, miss: 4 });
  });
});

import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { formatNumber, percentile, type Benchmark } from '@voiceassist/benchmarks';
import { createLogger } from '@voiceassist/logging';
import { Registry } from '@voiceassist/metrics';
import { readWorkload } from '../gateways/workload.js';
import { PlanCache } from '../../src/engine/plan-cache.js';
import { createEnginePlanner, QUERY_PLANNERS, type EnginePlanner } from '../../src/engine/planner.js';

// `pnpm bench planning`: what planning costs the native engine, cold and cached, with Hive's
// planner (the default) beside Apollo's in the same run. Cold: a planner built from the
// supergraph, then its first plan of the operation; planned again: the same planner, no cache
// (what every request would pay without the plan cache); cached: a plan cache hit, what a repeated
// operation pays (Apollo Server has hashed the document already; the key is that hash).

const logger = createLogger({ service: 'planning-bench', level: 'silent' });

const SIGNED_IN = `query MeAndConversations {
  me { id email displayName role }
  conversations(first: 20) { edges { node { id title updatedAt } } pageInfo { hasNextPage endCursor } }
}`;

function median(samples: number[]): number {
  return percentile([...samples].sort((a, b) => a - b), 50);
}

function time(run: () => unknown): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

const benchmark: Benchmark = async ({ quick }) => {
  const workload = readWorkload();
  const operations = [
    { name: 'gateways workload TestQuery (4 subgraphs, 6 levels)', supergraphSdl: workload.supergraphSdl, source: workload.query },
    { name: 'our supergraph: me + conversations(first: 20)', supergraphSdl: readFileSync(new URL('../../../schema/supergraph.graphql', import.meta.url), 'utf8'), source: SIGNED_IN },
  ];
  const freshPlanners = quick ? 3 : 10;
  const replans = quick ? 50 : 300;
  const lookups = quick ? 10_000 : 100_000;
  const rows: Array<Array<string | number>> = [];
  for (const operation of operations) {
    const document = parse(operation.source);
    for (const wanted of QUERY_PLANNERS) {
      const build: number[] = [];
      const first: number[] = [];
      let planner: EnginePlanner | undefined;
      for (let i = 0; i < freshPlanners; i++) {
        build.push(time(() => (planner = createEnginePlanner({ wanted, supergraphSdl: operation.supergraphSdl, logger }))));
        first.push(time(() => planner!.plan(operation.source, document, undefined)));
      }
      const again: number[] = [];
      for (let i = 0; i < replans; i++) again.push(time(() => planner!.plan(operation.source, document, undefined)));
      const cache = new PlanCache<unknown>(1_000, new Registry());
      const key = `${'0'.repeat(64)}\u0000`;
      cache.getOrCreate(key, () => planner!.plan(operation.source, document, undefined));
      const started = performance.now();
      for (let i = 0; i < lookups; i++) cache.getOrCreate(key, () => undefined);
      const hitUs = ((performance.now() - started) / lookups) * 1_000;
      rows.push([operation.name, planner!.name, formatNumber(median(build)), formatNumber(median(first)), formatNumber(median(again), 3), formatNumber(hitUs, 3)]);
    }
  }
  return {
    title: 'Query planning, cold and cached (`pnpm bench planning`)',
    notes: [
      `In process, medians: ${freshPlanners} planners built from the supergraph for the cold figures, ${replans} plans on one planner, ${lookups.toLocaleString('en-US')} cache hits. Node ${process.version}.`,
      'A cold start builds the planner once per supergraph (at start and on each reload), then plans each new operation once; after that an operation is a plan cache hit.',
    ],
    tables: [
      {
        columns: ['operation', 'planner', 'build planner ms', 'first plan ms (cold)', 'plan again ms (no cache)', 'cached µs (plan cache hit)'],
        rows,
      },
    ],
  };
};

export default benchmark;

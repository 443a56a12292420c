import { parseArgs } from 'node:util';
import { loadTestEnv } from './env.js';
import { runLoadTest } from './run.js';
import { SCENARIOS } from './scenarios.js';

// pnpm loadtest <scenario> [--url http://host:4000/graphql] [--duration seconds]: one bounded
// run against a running supergraph; prints a summary and exits 0 when the error rate is within the
// scenario's limit.

const { positionals, values } = parseArgs({ allowPositionals: true, options: { url: { type: 'string' }, duration: { type: 'string' } } });
const scenario = SCENARIOS[positionals[0] ?? ''];
const url = values.url ?? loadTestEnv.LOADTEST_URL;
const duration = values.duration === undefined ? undefined : Number(values.duration);
if (!scenario || !url || (duration !== undefined && !(duration > 0))) {
  console.error('Usage: pnpm loadtest <scenario> [--url http://localhost:4000/graphql] [--duration seconds]   (or LOADTEST_URL)');
  for (const s of Object.values(SCENARIOS)) console.error(`  ${s.name.padEnd(14)} ${s.description}`);
  process.exit(2);
}

console.log(`${scenario.name} against ${url} for ${duration ?? scenario.durationSeconds} s…`);
const summary = await runLoadTest({ url, scenario, durationSeconds: duration });
const { p50, p95, p99, max } = summary.latencyMs;
console.log(`requests ${summary.requests} (${summary.requestsPerSecond}/s) in ${summary.durationSeconds} s`);
console.log(`latency ms p50 ${p50}  p95 ${p95}  p99 ${p99}  max ${max}${scenario.subscriptions ? ' (to the first event)' : ''}`);
console.log(`errors ${summary.errors} (${(summary.errorRate * 100).toFixed(2)}%)${Object.keys(summary.errorKinds).length ? ` ${JSON.stringify(summary.errorKinds)}` : ''}`);
console.log(summary.passed ? 'passed' : `FAILED: error rate above ${(scenario.maxErrorRate * 100).toFixed(1)}%`);
process.exit(summary.passed ? 0 : 1);

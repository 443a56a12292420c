import { Agent, request } from 'node:http';
import { formatNumber, percentile, type Benchmark } from '@voiceassist/benchmarks';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { createLogger } from '@voiceassist/logging';
import { createMemoryRateLimiter } from '@voiceassist/rate-limit';
import { createRouter } from '../router.js';
import { TestIssuer, catalogModule, startTestSubgraph, tickerModule } from '../../testing/fixtures.js';
import { DEFAULT_LIMITS } from './edge.js';
import { createTrustedOperations, sha256Hex } from './trusted-operations.js';

// Router throughput on a typical query with every edge protection on (limits, rate limits,
// trusted-operation logging, security headers, compression) vs off. Target: under 10% cost.
const QUERY = 'query Item($id: ID!) { item(id: $id) { id name } tickerPing }';

async function load(url: string, token: string, seconds: number, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const body = JSON.stringify({ query: QUERY, variables: { id: 'item-7' }, operationName: 'Item' });
  const latencies: number[] = [];
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'accept-encoding': 'gzip, br' } }, (res) => {
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end(body);
      });
      latencies.push(performance.now() - started);
      done += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rps: done / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

const bench: Benchmark = async ({ quick }) => {
  const issuer = await TestIssuer.create();
  const token = await issuer.token();
  const ticker = await startTestSubgraph(tickerModule, issuer.verifier);
  const catalog = await startTestSubgraph(catalogModule, issuer.verifier);
  const supergraphSdl = composeSupergraph([
    { name: 'ticker', url: `${ticker.url}/graphql`, typeDefs: tickerModule.typeDefs },
    { name: 'catalog', url: `${catalog.url}/graphql`, typeDefs: catalogModule.typeDefs },
  ]);
  const base = { supergraphSdl, verifier: issuer.verifier, revocations: issuer.revocations, logger: createLogger({ service: 'router', level: 'silent' }) };
  const on = createRouter({
    ...base,
    edge: {
      limits: DEFAULT_LIMITS,
      rateLimits: { limiter: createMemoryRateLimiter(), perClientPerMinute: 10_000_000, globalPerMinute: 10_000_000 },
      trustedOperations: createTrustedOperations('log', { operations: { [sha256Hex(QUERY)]: QUERY } }),
      hsts: true,
      compress: true,
    },
  });
  const off = createRouter({ ...base, edge: { limits: undefined, rateLimits: undefined, trustedOperations: undefined, compress: false } });
  const onUrl = `${(await on.listen(0, '127.0.0.1')).url}/graphql`;
  const offUrl = `${(await off.listen(0, '127.0.0.1')).url}/graphql`;
  const seconds = quick ? 3 : 10;
  await load(offUrl, token, 1, 16);
  await load(onUrl, token, 1, 16);
  // Alternate runs so drift on a shared machine hits both sides alike.
  const offRuns = [];
  const onRuns = [];
  for (let i = 0; i < 2; i++) {
    offRuns.push(await load(offUrl, token, seconds / 2, 16));
    onRuns.push(await load(onUrl, token, seconds / 2, 16));
  }
  const avg = (runs: Array<{ rps: number; p50: number; p99: number }>, key: 'rps' | 'p50' | 'p99') => runs.reduce((s, r) => s + r[key], 0) / runs.length;
  await Promise.all([on.close(), off.close()]);
  await ticker.server.close();
  await catalog.server.close();
  const cost = (1 - avg(onRuns, 'rps') / avg(offRuns, 'rps')) * 100;
  return {
    title: 'Router edge protections',
    notes: [
      'One process on loopback: router, two subgraphs and the load generator (16 concurrent keep-alive clients) share 2 cores.',
      `Query: \`${QUERY}\` (two subgraph fetches). "on": limits, rate limits, trusted-operation logging, security headers, compression.`,
    ],
    tables: [
      {
        columns: ['protections', 'requests/s', 'p50 ms', 'p99 ms'],
        rows: [
          ['off', formatNumber(avg(offRuns, 'rps')), formatNumber(avg(offRuns, 'p50')), formatNumber(avg(offRuns, 'p99'))],
          ['on', formatNumber(avg(onRuns, 'rps')), formatNumber(avg(onRuns, 'p50')), formatNumber(avg(onRuns, 'p99'))],
          ['cost', `${formatNumber(cost)} %`, '', ''],
        ],
      },
    ],
  };
};

export default bench;

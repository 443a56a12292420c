import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchEnv } from '@voiceassist/benchmarks/env';
import { formatNumber, percentile, pinToCpus, processCpuMs, spawnBenchProcess, type BenchProcess, type Benchmark } from '@voiceassist/benchmarks';
import { buildRouter, routerEngineVariant, rssMb, startBuiltRouter } from '../../testing/built-router.js';
import { runLoad, type LoadResult } from './load.js';
import { expectedTestQueryResponse, readWorkload, routeSupergraph } from './workload.js';

// `pnpm bench gateway`: the public graphql-gateways-benchmark workload (TestQuery, 87 KB answer,
// four subgraphs) through our router, as `pnpm build` builds and `pnpm start` runs it, against
// stock @apollo/gateway in a minimal @apollo/server, in the same run. The gateway under load is
// pinned to CPU 1; the subgraphs and this load generator share CPU 0. Rounds alternate
// between the gateways so drift on the machine affects both alike.

/**
 * GATEWAY_BENCH_ENGINES=apollo,native,native-nodedup measures the router on each ROUTER_ENGINE
 * named (`native-nodedup`: the native engine with ROUTER_DEDUPLICATE_QUERIES=false).
 */
const ENGINES = benchEnv.GATEWAY_BENCH_ENGINES;
const CONNECTIONS = 50;
const ROUNDS = 3;
const GATEWAY_CPU = '1';
const LOAD_CPU = '0';

interface Gateway {
  label: string;
  url: string;
  pid: number;
  close(): Promise<void>;
}

/** Our router as deployed: the built bundle with production settings, on the workload's supergraph. */
async function startRouter(variant: string, supergraphSdl: string, port: number): Promise<Gateway> {
  const engine = routerEngineVariant(variant);
  const dir = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
  const supergraphPath = join(dir, 'supergraph.graphql');
  writeFileSync(supergraphPath, supergraphSdl);
  const router = await startBuiltRouter(port, {
    SUPERGRAPH_PATH: supergraphPath,
    ...engine.env,
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_GLOBAL_PER_MINUTE: '0',
    ROUTER_MAX_COST: '100000000',
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
  });
  return {
    label: `our router (${engine.label})`,
    url: router.url,
    pid: router.pid,
    async close() {
      await router.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startApolloGateway(supergraphSdl: string): Promise<Gateway> {
  const process_: BenchProcess = await spawnBenchProcess(new URL('./bench-apollo-gateway.ts', import.meta.url));
  const url = await process_.request<string>('start', { supergraphSdl });
  return { label: 'stock @apollo/gateway', url, pid: process_.pid, close: () => process_.close() };
}

interface Round extends LoadResult {
  rps: number;
  subgraphCallsPerQuery: number;
  cpuPercent: number;
  rssMb: number;
}

const benchmark: Benchmark = async ({ quick }) => {
  const seconds = quick ? 3 : 15;
  const warmupSeconds = quick ? 1 : 5;
  const { records, supergraphSdl, query } = readWorkload();
  const expected = expectedTestQueryResponse(records);
  const body = JSON.stringify({ query, operationName: 'TestQuery' });

  await buildRouter();
  const subgraphs = await spawnBenchProcess(new URL('./bench-subgraphs.ts', import.meta.url));
  const gateways: Gateway[] = [];
  try {
    const subgraphsUrl = await subgraphs.request<string>('start', { records });
    const pinned = pinToCpus(subgraphs.pid, LOAD_CPU) && pinToCpus(process.pid, LOAD_CPU);
    const routed = routeSupergraph(supergraphSdl, subgraphsUrl);
    gateways.push(await startApolloGateway(routed));
    for (const [i, engine] of ENGINES.entries()) gateways.push(await startRouter(engine, routed, 4_310 + i));
    for (const gateway of gateways) pinToCpus(gateway.pid, GATEWAY_CPU);

    const idleRss = new Map(gateways.map((g) => [g, rssMb(g.pid)]));
    const rounds = new Map<Gateway, Round[]>(gateways.map((g) => [g, []]));
    for (const gateway of gateways) {
      const warm = await runLoad({ url: gateway.url, body, expected }, CONNECTIONS, warmupSeconds);
      if (warm.wrong > 0) throw new Error(`${gateway.label} answered TestQuery wrongly ${warm.wrong} times; first: ${warm.firstWrong}`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const gateway of gateways) {
        const callsBefore = await subgraphs.request<number>('calls');
        const cpuBefore = processCpuMs(gateway.pid);
        const load = await runLoad({ url: gateway.url, body, expected }, CONNECTIONS, seconds);
        const calls = (await subgraphs.request<number>('calls')) - callsBefore;
        rounds.get(gateway)!.push({
          ...load,
          rps: load.completed / load.seconds,
          subgraphCallsPerQuery: calls / load.completed,
          cpuPercent: ((processCpuMs(gateway.pid) - cpuBefore) / (load.seconds * 1000)) * 100,
          rssMb: rssMb(gateway.pid),
        });
        console.error(`  round ${round + 1} ${gateway.label}: ${formatNumber(load.completed / load.seconds)} RPS, ${load.wrong} wrong`);
      }
    }

    const median = (list: Round[]) => [...list].sort((a, b) => a.rps - b.rps)[Math.floor(list.length / 2)]!;
    const baseline = median(rounds.get(gateways[0]!)!).rps;
    const rows = gateways.map((gateway) => {
      const list = rounds.get(gateway)!;
      const mid = median(list);
      const wrong = list.reduce((sum, r) => sum + r.wrong, 0);
      return [
        gateway.label,
        `**${formatNumber(mid.rps)}**`,
        list.map((r) => formatNumber(r.rps)).join(', '),
        `${formatNumber(percentile(mid.latencies, 50))} / ${formatNumber(percentile(mid.latencies, 95))} / ${formatNumber(percentile(mid.latencies, 99))}`,
        formatNumber(mid.subgraphCallsPerQuery),
        formatNumber(mid.cpuPercent, 0),
        `${formatNumber(idleRss.get(gateway)!, 0)} / ${formatNumber(Math.max(...list.map((r) => r.rssMb)), 0)}`,
        `${formatNumber(mid.rps / baseline)}×`,
        `${wrong} of ${list.reduce((sum, r) => sum + r.completed, 0)}`,
      ];
    });
    const wrongTotal = [...rounds.values()].flat().reduce((sum, r) => sum + r.wrong, 0);
    if (wrongTotal > 0) {
      const first = [...rounds.values()].flat().find((r) => r.firstWrong)?.firstWrong;
      throw new Error(`${wrongTotal} wrong answers; first: ${first}`);
    }
    return {
      title: 'Gateways workload: TestQuery through the router vs stock Apollo Gateway (`pnpm bench gateway`)',
      notes: [
        `graphql-gateways-benchmark's TestQuery (${JSON.stringify(expected).length.toLocaleString('en-US')}-byte answer, 4 subgraphs: our own @apollo/subgraph servers answering from its records, each request body's answer computed once by graphql-js and replayed after that, the same subgraphs for every gateway), ${CONNECTIONS} connections, closed loop, ${ROUNDS} rounds of ${seconds} s after ${warmupSeconds} s of warm-up, rounds alternating between gateways.`,
        pinned ? `Each gateway pinned to CPU ${GATEWAY_CPU} (taskset, all threads); subgraphs and load generator on CPU ${LOAD_CPU}.` : 'Not pinned (taskset unavailable or a single CPU): gateways share cores with the subgraphs and the load generator.',
        'Every answer compared with the expected JSON computed from the records (by bytes, then by value); a wrong answer fails the run.',
        `Router: \`node router/dist/index.js\` as \`pnpm build\` makes it, NODE_ENV=production, rate limits off, ROUTER_MAX_COST=100000000; engines measured: ${ENGINES.join(', ')}.`,
        `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${formatNumber(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, load average at the start ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
      ],
      tables: [
        {
          caption: 'Median round by RPS',
          columns: ['gateway', 'RPS', 'RPS each round', 'p50 / p95 / p99 ms', 'subgraph calls per query', 'gateway CPU %', 'RSS MB idle / under load', 'vs Apollo Gateway', 'wrong answers'],
          rows,
        },
      ],
    };
  } finally {
    for (const gateway of gateways) await gateway.close();
    await subgraphs.close();
  }
};

export default benchmark;

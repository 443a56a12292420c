import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { collectGarbage, formatNumber, percentile, pinToCpus, spawnBenchProcess, startScriptNodeFlags, type BenchProcess, type Benchmark } from '@voiceassist/benchmarks';
import { benchEnv } from '@voiceassist/benchmarks/env';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { TestIssuer, catalogModule, tickerModule } from '../../testing/fixtures.js';

// N subscribers through the router vs directly on the subgraph. The test subgraphs, the router
// and the clients (this process) run in three processes on loopback, so the router's CPU and
// memory are its own. Latency runs from the event's publication in the subgraph (its epoch
// timestamp travels in the event) to its receipt here; "added" is via router minus direct.

const SUBSCRIBERS_PER_CONNECTION = 10;
/** SUBSCRIPTIONS_BENCH_PARTS=memory,streams (any of streams, broadcast, entity, memory) runs only those tables. */
const PARTS = new Set(benchEnv.SUBSCRIPTIONS_BENCH_PARTS);
const USERS = 50;
const SUBGRAPHS_PROCESS = new URL('./bench-subgraphs.ts', import.meta.url);
const ROUTER_PROCESS = new URL('./bench-router.ts', import.meta.url);
const RELAY_PROCESS = new URL('./bench-relay.ts', import.meta.url);

/** Subscribers, events each (or published), their rate, and whether the router has a core of its own. */
interface Scenario {
  n: number;
  events: number;
  perSecond: number;
  pinned: boolean;
  /** Stream scenarios: direct, router and relay runs alternate this many times (one in quick runs). */
  rounds?: number;
}

interface Stalls {
  loopP99: number;
  loopMax: number;
  gcTotal: number;
  gcMax: number;
}

interface Run {
  eventsPerSecond: number;
  p50: number;
  p99: number;
  routerCpuMsPerEvent: number | undefined;
  /** The router's event-loop delay and GC pauses while measuring (stream runs). */
  routerStalls?: Stalls | undefined;
}

const now = () => performance.timeOrigin + performance.now();

async function openSubscribers(subgraphs: BenchProcess, url: string, tokens: string[], n: number, topic: string, selection: string, onEvent: (n: number, sentAt: number) => void) {
  const clients: Client[] = [];
  const ready: Promise<void>[] = [];
  // Warm-up events (n = -1) prove every subscription is live upstream before measuring. Each
  // reaches every subscription already open, so they are rarer when there are thousands.
  const warm = setInterval(() => void subgraphs.request('publish', { topic, n: -1 }).catch(() => {}), n >= 5_000 ? 1_000 : 100);
  try {
    for (let i = 0; i < n; i += SUBSCRIBERS_PER_CONNECTION) {
      // Connect in batches: a thousand simultaneous handshakes overflow the listen backlog.
      if (i > 0 && i % (SUBSCRIBERS_PER_CONNECTION * 200) === 0) await Promise.all(ready);
      const token = tokens[(i / SUBSCRIBERS_PER_CONNECTION) % tokens.length]!;
      const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false });
      clients.push(client);
      for (let j = 0; j < SUBSCRIBERS_PER_CONNECTION && i + j < n; j++) {
        let first = true;
        ready.push(
          new Promise<void>((resolve, reject) => {
            client.subscribe(
              { query: `subscription { broadcast(topic: "${topic}") { ${selection} } }` },
              {
                next: (event) => {
                  const tick = (event.data as { broadcast: { n: number; sentAt: number } }).broadcast;
                  if (tick.n < 0) {
                    if (first) resolve();
                    first = false;
                    return;
                  }
                  onEvent(tick.n, tick.sentAt);
                },
                error: reject,
                complete: () => {},
              },
            );
          }),
        );
      }
    }
    await Promise.all(ready);
  } finally {
    clearInterval(warm);
  }
  await sleep(300);
  return clients;
}

async function measure(subgraphs: BenchProcess, router: BenchProcess | undefined, url: string, tokens: string[], n: number, events: number, perSecond: number, selection = 'n sentAt'): Promise<Run> {
  const topic = `bench-${Math.random()}`;
  const latencies: number[] = [];
  let allReceived: () => void = () => {};
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const clients = await openSubscribers(subgraphs, url, tokens, n, topic, selection, (_tick, sentAt) => {
    latencies.push(now() - sentAt);
    if (latencies.length === n * events) allReceived();
  });
  const cpuBefore = router?.cpuMs();
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    // Paced publishing: latency, not queueing behind a burst, is what is measured.
    const due = started + (i * 1000) / perSecond;
    if (due > performance.now()) await sleep(due - performance.now());
    void subgraphs.request('publish', { topic, n: i });
  }
  await Promise.race([done, sleep(60_000)]);
  const elapsed = (performance.now() - started) / 1000;
  const routerCpuMsPerEvent = router && cpuBefore !== undefined ? (router.cpuMs() - cpuBefore) / Math.max(1, latencies.length) : undefined;
  await Promise.all(clients.map((c) => c.dispose()));
  await sleep(500);
  if (latencies.length < n * events) throw new Error(`only ${latencies.length} of ${n * events} events arrived`);
  latencies.sort((a, b) => a - b);
  return { eventsPerSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), routerCpuMsPerEvent };
}

/**
 * Every subscriber has a stream of its own (like an LLM reply's tokens): `ticks` emits `events`
 * ticks at `perSecond`, and subscriptions start at different moments, so their events interleave
 * rather than arrive as one burst. Steady state only: events count from half a second after
 * every stream is live until the first stream ends, so subscription set-up and tear-down (their
 * own costs) are not measured as event latency.
 */
async function measureStreams(subgraphs: BenchProcess, router: BenchProcess | undefined, url: string, tokens: string[], n: number, events: number, perSecond: number, { reportsStalls = true } = {}): Promise<Run> {
  const latencies: number[] = [];
  const clients: Client[] = [];
  const completed: Promise<void>[] = [];
  let live = 0;
  let measuringSince: number | undefined;
  let measuringUntil: number | undefined;
  let cpuBefore: number | undefined;
  let cpuAfter: number | undefined;
  let stalls: Promise<Stalls> | undefined;
  for (let i = 0; i < n; i += SUBSCRIBERS_PER_CONNECTION) {
    // Connect in batches, each live (first tick in) before the next: a client process busy with
    // thousands of handshakes at once would miss graphql-ws's connection-init timeout.
    if (i > 0 && i % (SUBSCRIBERS_PER_CONNECTION * 200) === 0) {
      const deadline = performance.now() + 30_000;
      while (live < i && performance.now() < deadline) await sleep(50);
    }
    const token = tokens[(i / SUBSCRIBERS_PER_CONNECTION) % tokens.length]!;
    const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false });
    clients.push(client);
    for (let j = 0; j < SUBSCRIBERS_PER_CONNECTION && i + j < n; j++) {
      completed.push(
        new Promise<void>((resolve, reject) => {
          client.subscribe(
            { query: `subscription { ticks(count: ${events}, intervalMs: ${Math.round(1000 / perSecond)}) { n sentAt } }` },
            {
              next: (event) => {
                const tick = (event.data as { ticks: { n: number; sentAt: number } }).ticks;
                if (tick.n === 0 && ++live === n) {
                  // Every part starts the window with a collected heap, not with the garbage of
                  // the runs before (thousands of subscriptions set up and torn down), whose
                  // collection would otherwise fall into some runs' windows and not others'.
                  collectGarbage();
                  for (const part of [subgraphs, ...(router ? [router] : [])]) void part.request('collectGarbage');
                  setTimeout(() => {
                    measuringSince = performance.now();
                    cpuBefore = router?.cpuMs();
                    if (reportsStalls) void router?.request('stalls');
                  }, 500);
                }
                if (measuringSince !== undefined && measuringUntil === undefined) latencies.push(now() - tick.sentAt);
              },
              error: reject,
              complete: () => {
                if (measuringUntil === undefined) {
                  measuringUntil = performance.now();
                  cpuAfter = router?.cpuMs();
                  if (reportsStalls) stalls = router?.request<Stalls>('stalls');
                }
                resolve();
              },
            },
          );
        }),
      );
    }
  }
  await Promise.race([Promise.all(completed), sleep(180_000)]);
  const elapsed = ((measuringUntil ?? performance.now()) - (measuringSince ?? performance.now())) / 1000;
  const routerCpuMsPerEvent = cpuAfter !== undefined && cpuBefore !== undefined ? (cpuAfter - cpuBefore) / Math.max(1, latencies.length) : undefined;
  await Promise.all(clients.map((c) => c.dispose()));
  await sleep(500);
  if (live < n || latencies.length < (n * events) / 4) throw new Error(`only ${live} of ${n} streams went live and ${latencies.length} events were measured`);
  latencies.sort((a, b) => a - b);
  return { eventsPerSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), routerCpuMsPerEvent, routerStalls: await stalls };
}

/** The round whose `added` is the median of the rounds' (an odd count of rounds: the middle one). */
function medianRound<T>(rounds: T[], added: (round: T) => number): T {
  return [...rounds].sort((a, b) => added(a) - added(b))[Math.floor((rounds.length - 1) / 2)]!;
}

/** Every round's added p99, in the order they ran. */
function addedP99s(added: number[]): string {
  return added.map((value) => formatNumber(value)).join(', ');
}

/** A failed run's reason for its table row (a CloseEvent's code and reason, or an error's message). */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  const close = error as { code?: number; reason?: string };
  return close.code ? `connection closed ${close.code} ${close.reason ?? ''}`.trim() : String(error);
}

/** A scenario that could not be measured: its row says why. */
function failedRow(n: number, perSecond: number, pinned: boolean, error: unknown): Array<string | number> {
  return [n.toLocaleString('en-US'), perSecond, pinned ? 'own core' : 'shared cores', `failed: ${describe(error)}`];
}

/** One table row: the scenario, then direct and router figures side by side and their difference. */
function comparisonRow(n: number, perSecond: number, pinned: boolean, mode: string | undefined, d: Run, r: Run): Array<string | number> {
  return [
    n.toLocaleString('en-US'),
    perSecond,
    pinned ? 'own core' : 'shared cores',
    ...(mode ? [mode] : []),
    formatNumber(d.eventsPerSecond),
    formatNumber(r.eventsPerSecond),
    `${formatNumber(d.p50)} / ${formatNumber(d.p99)}`,
    `${formatNumber(r.p50)} / ${formatNumber(r.p99)}`,
    `${formatNumber(r.p50 - d.p50)} / ${formatNumber(r.p99 - d.p99)}`,
    formatNumber((r.routerCpuMsPerEvent ?? Number.NaN) * 1000),
    ...(r.routerStalls ? [`${formatNumber(r.routerStalls.loopP99)} / ${formatNumber(r.routerStalls.loopMax)}`, `${formatNumber(r.routerStalls.gcTotal)} / ${formatNumber(r.routerStalls.gcMax)}`] : []),
  ];
}

const bench: Benchmark = async ({ quick }) => {
  const issuer = await TestIssuer.create();
  const privateJwk = await issuer.exportPrivateJwk();
  const tokens = await Promise.all(Array.from({ length: USERS }, (_, i) => issuer.token({ sub: `user-${i}`, expiresIn: '2h' })));
  const subgraphs = await spawnBenchProcess(SUBGRAPHS_PROCESS);
  const urls = await subgraphs.request<{ ticker: string; catalog: string }>('startSubgraphs', { privateJwk });
  const supergraphSdl = composeSupergraph([
    { name: 'ticker', url: `${urls.ticker}/graphql`, typeDefs: tickerModule.typeDefs },
    { name: 'catalog', url: `${urls.catalog}/graphql`, typeDefs: catalogModule.typeDefs },
  ]);
  const startRouter = async (sharedFields: string[]) => {
    const child = await spawnBenchProcess(ROUTER_PROCESS, { nodeFlags: startScriptNodeFlags(new URL('../../package.json', import.meta.url)) });
    const url = await child.request<string>('startRouter', { privateJwk, supergraphSdl, sharedFields });
    return { process: child, url };
  };
  const direct = `${urls.ticker.replace(/^http/, 'ws')}/graphql`;
  const parts: BenchProcess[] = [subgraphs];
  try {
    const own = await startRouter([]);
    const sharing = await startRouter(['broadcast']);
    const relay = await spawnBenchProcess(RELAY_PROCESS);
    const relayUrl = await relay.request<string>('startRelay', { target: direct });
    parts.push(own.process, sharing.process, relay);

    // Pinned: the router has CPU 1 to itself; the subgraphs and these clients share CPU 0, in
    // both the direct and the router runs. That is the router's added latency with the load
    // generator kept off its core. Shared: all three processes on both CPUs, contending.
    const layout = (pinned: boolean) => {
      for (const part of [own.process, sharing.process, relay]) pinToCpus(part.pid, pinned ? '1' : '0-1');
      for (const pid of [subgraphs.pid, process.pid]) pinToCpus(pid, pinned ? '0' : '0-1');
    };
    const streamScenarios: Scenario[] = quick
      ? [
          { n: 100, events: 100, perSecond: 20, pinned: true },
          { n: 1000, events: 100, perSecond: 10, pinned: true },
          { n: 1000, events: 100, perSecond: 20, pinned: true },
        ]
      : [
          // The first scenario also warms the router's JIT; 1,000 subscribers at three rates
          // show where the router's core saturates. A p99 from one run of seconds moves by a
          // millisecond with whatever else the machine did meanwhile, so these alternate direct,
          // router and relay runs three times and report the median round.
          { n: 100, events: 100, perSecond: 20, pinned: true, rounds: 3 },
          { n: 1000, events: 50, perSecond: 5, pinned: true, rounds: 3 },
          { n: 1000, events: 100, perSecond: 10, pinned: true, rounds: 3 },
          { n: 1000, events: 100, perSecond: 20, pinned: true, rounds: 3 },
          { n: 1000, events: 100, perSecond: 20, pinned: false, rounds: 3 },
          // Long enough that the first streams are still running when the last goes live.
          { n: 10_000, events: 90, perSecond: 1, pinned: true },
        ];
    const streamRows: Array<Array<string | number>> = [];
    const hopRows: Array<Array<string | number>> = [];
    for (const { n, events, perSecond, pinned, rounds = 1 } of PARTS.has('streams') ? streamScenarios : []) {
      layout(pinned);
      try {
        const routerRounds: Array<{ d: Run; r: Run }> = [];
        const relayRounds: Array<{ d: Run; h: Run }> = [];
        for (let round = 0; round < rounds; round++) {
          const d = await measureStreams(subgraphs, undefined, direct, tokens, n, events, perSecond);
          routerRounds.push({ d, r: await measureStreams(subgraphs, own.process, own.url, tokens, n, events, perSecond) });
          // The same streams through a process that only relays bytes: how much of "added" the
          // extra hop costs on this machine whatever runs in the middle.
          if (pinned) relayRounds.push({ d, h: await measureStreams(subgraphs, relay, relayUrl, tokens, n, events, perSecond, { reportsStalls: false }) });
        }
        const viaRouter = medianRound(routerRounds, ({ d, r }) => r.p99 - d.p99);
        streamRows.push([...comparisonRow(n, perSecond, pinned, undefined, viaRouter.d, viaRouter.r), addedP99s(routerRounds.map(({ d, r }) => r.p99 - d.p99))]);
        if (relayRounds.length) {
          const { d, h } = medianRound(relayRounds, ({ d, h }) => h.p99 - d.p99);
          hopRows.push([
            n.toLocaleString('en-US'),
            perSecond,
            `${formatNumber(d.p50)} / ${formatNumber(d.p99)}`,
            `${formatNumber(h.p50)} / ${formatNumber(h.p99)}`,
            `${formatNumber(h.p50 - d.p50)} / ${formatNumber(h.p99 - d.p99)}`,
            `${formatNumber(viaRouter.r.p50 - viaRouter.d.p50)} / ${formatNumber(viaRouter.r.p99 - viaRouter.d.p99)}`,
            formatNumber((h.routerCpuMsPerEvent ?? Number.NaN) * 1000),
            addedP99s(relayRounds.map(({ d, h }) => h.p99 - d.p99)),
          ]);
        }
      } catch (error) {
        streamRows.push(failedRow(n, perSecond, pinned, error));
      }
    }

    const scenarios: Scenario[] = quick
      ? [
          { n: 100, events: 50, perSecond: 50, pinned: true },
          { n: 1000, events: 50, perSecond: 10, pinned: true },
          { n: 1000, events: 50, perSecond: 10, pinned: false },
        ]
      : [
          { n: 100, events: 100, perSecond: 50, pinned: true },
          { n: 1000, events: 100, perSecond: 10, pinned: true },
          { n: 1000, events: 100, perSecond: 10, pinned: false },
          { n: 1000, events: 100, perSecond: 50, pinned: true },
          { n: 10_000, events: 20, perSecond: 2, pinned: true },
        ];
    const latencyRows: Array<Array<string | number>> = [];
    for (const { n, events, perSecond, pinned } of PARTS.has('broadcast') ? scenarios : []) {
      layout(pinned);
      try {
        const d = await measure(subgraphs, undefined, direct, tokens, n, events, perSecond);
        for (const [mode, router] of [['own upstream each', own], ['shared upstream', sharing]] as const) {
          const r = await measure(subgraphs, router.process, router.url, tokens, n, events, perSecond);
          latencyRows.push(comparisonRow(n, perSecond, pinned, mode, d, r));
        }
      } catch (error) {
        latencyRows.push(failedRow(n, perSecond, pinned, error));
      }
    }
    layout(false);

    // Entity fields from a second subgraph: one extra fetch per event per upstream stream.
    const entityRows: Array<Array<string | number>> = [];
    for (const [mode, router] of PARTS.has('entity') ? ([['own upstream each', own], ['shared upstream', sharing]] as const) : []) {
      const r = await measure(subgraphs, router.process, router.url, tokens, 100, 40, 20, 'n sentAt item { name }');
      entityRows.push([100, mode, formatNumber(r.eventsPerSecond), formatNumber(r.p50), formatNumber(r.p99)]);
    }

    // Memory: a fresh router process, idle subscriptions held open through it.
    const memoryRows: Array<Array<string | number>> = [];
    for (const idle of !PARTS.has('memory') ? [] : quick ? [1000] : [1000, 10_000]) {
      const fresh = await startRouter([]);
      parts.push(fresh.process);
      const before = await fresh.process.request<{ rssMb: number; heapMb: number; youngMb: number }>('memory');
      const clients = await openSubscribers(subgraphs, fresh.url, tokens, idle, `idle-${idle}`, 'n sentAt', () => {});
      const after = await fresh.process.request<{ rssMb: number; heapMb: number; youngMb: number }>('memory');
      const stats = await fresh.process.request<{ connections: number; upstreamSockets: number }>('stats');
      await Promise.all(clients.map((c) => c.dispose()));
      await fresh.process.close();
      memoryRows.push([
        idle.toLocaleString('en-US'),
        stats.connections,
        stats.upstreamSockets,
        `${formatNumber(before.rssMb)} (${formatNumber(before.youngMb)})`,
        `${formatNumber(after.rssMb)} (${formatNumber(after.youngMb)})`,
        formatNumber(((after.rssMb - before.rssMb) * 1024) / idle),
        formatNumber(((after.heapMb - before.heapMb) * 1024) / idle),
      ]);
    }

    return {
      title: 'Subscriptions through the router',
      notes: [
        `Three processes on loopback, ${benchEnv.NODE_ENV} Node ${process.version}, 2 cores: the test subgraphs, the router, and the clients; ${SUBSCRIBERS_PER_CONNECTION} subscriptions per client connection, ${USERS} users.`,
        '"own core": the router process pinned to one CPU, the subgraphs and the clients to the other (direct runs too), as when the router has its own machine; "shared cores": no pinning, the three processes contend for both CPUs.',
        'Latency: from the event\'s publication in the subgraph to its receipt by a client (one epoch clock). "added" = via router minus direct. Router CPU: the router process\'s user + system time per event delivered.',
        '"The hop alone": the router\'s place taken by a process that only forwards TCP bytes (pinned like the router). Its added latency is what one more process between subgraph and client costs here, before any WebSocket or GraphQL work.',
        '"own upstream each": every client subscription has its own upstream subscription (pooled sockets per user); "shared upstream": identical subscriptions with identical credentials share one (opt-in per field).',
      ],
      tables: [
        {
          caption: 'A stream per subscriber (own upstream subscription each; primary fetch only): the median round',
          columns: ['subscribers', 'events/s per subscriber', 'router CPU', 'direct events/s delivered', 'router events/s delivered', 'direct p50 / p99 ms', 'router p50 / p99 ms', 'added p50 / p99 ms', 'router CPU µs per event', 'router event-loop delay p99 / max ms', 'router GC pauses total / max ms', 'added p99 ms, each round'],
          rows: streamRows,
        },
        {
          caption: 'The hop alone: the same streams through a TCP relay (bytes forwarded, no WebSocket or GraphQL work) on the router\'s core',
          columns: ['subscribers', 'events/s per subscriber', 'direct p50 / p99 ms', 'relay p50 / p99 ms', 'relay added p50 / p99 ms', 'router added p50 / p99 ms (above)', 'relay CPU µs per event', 'relay added p99 ms, each round'],
          rows: hopRows,
        },
        {
          caption: 'One event broadcast to every subscriber at once (primary fetch only)',
          columns: ['subscribers', 'events/s published', 'router CPU', 'router mode', 'direct events/s delivered', 'router events/s delivered', 'direct p50 / p99 ms', 'router p50 / p99 ms', 'added p50 / p99 ms', 'router CPU µs per event'],
          rows: latencyRows,
        },
        { caption: 'With an entity field from a second subgraph (router only, 20 events/s)', columns: ['subscribers', 'router mode', 'events/s delivered', 'p50 ms', 'p99 ms'], rows: entityRows },
        {
          caption: 'Idle subscriptions held by one router process (RSS and heap once settled: full GC, then up to a minute for V8 to give back its young generation)',
          columns: ['subscriptions', 'client connections', 'upstream sockets', 'router RSS before MB (young generation)', 'router RSS with them MB (young generation)', 'RSS KB per subscription', 'heap KB per subscription'],
          rows: memoryRows,
        },
      ],
    };
  } finally {
    await Promise.all(parts.map((p) => p.close()));
  }
};

export default bench;

import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { formatNumber, percentile, settledMemoryMb, type Benchmark } from '@voiceassist/benchmarks';
import { composeSupergraph } from '@voiceassist/composition';
import { createLogger } from '@voiceassist/logging';
import { createRouter } from '../router.js';
import { TestIssuer, catalogModule, publishTick, startTestSubgraph, tickerModule } from '../test-fixtures.js';

// N subscribers through the router vs directly on the subgraph: delivery rate, latency from
// publish to receipt, and memory per open subscription. Everything runs in this one process on
// loopback, so absolute numbers include the clients' own work; the router-minus-direct
// difference is what the router adds.

const SUBSCRIBERS_PER_CONNECTION = 10;
const USERS = 50;

interface Run {
  eventsPerSecond: number;
  p50: number;
  p99: number;
}

async function openSubscribers(url: string, tokens: string[], n: number, topic: string, selection: string, onEvent: (n: number) => void) {
  const clients: Client[] = [];
  const ready: Promise<void>[] = [];
  // Connect in batches: a thousand simultaneous handshakes overflow the listen backlog.
  const warm = setInterval(() => void publishTick(topic, -1), 100);
  for (let i = 0; i < n; i += SUBSCRIBERS_PER_CONNECTION) {
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
                const tick = (event.data as { broadcast: { n: number } }).broadcast;
                if (tick.n < 0) {
                  if (first) resolve();
                  first = false;
                  return;
                }
                onEvent(tick.n);
              },
              error: reject,
              complete: () => {},
            },
          );
        }),
      );
    }
  }
  // Warm-up events (n = -1) prove every subscription is live upstream before measuring.
  await Promise.all(ready);
  clearInterval(warm);
  await sleep(200);
  return clients;
}

async function measure(url: string, tokens: string[], n: number, events: number, selection: string, paceMs: number): Promise<Run & { clients: Client[] }> {
  const topic = `bench-${Math.random()}`;
  const publishedAt = new Map<number, number>();
  const latencies: number[] = [];
  let received = 0;
  let allReceived: () => void = () => {};
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const clients = await openSubscribers(url, tokens, n, topic, selection, (tick) => {
    latencies.push(performance.now() - publishedAt.get(tick)!);
    received += 1;
    if (received === n * events) allReceived();
  });
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    publishedAt.set(i, performance.now());
    await publishTick(topic, i);
    // Paced publishing: latency, not queueing behind a burst, is what is measured.
    await sleep(paceMs);
  }
  await done;
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { eventsPerSecond: received / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), clients };
}

async function closeAll(clients: Client[]) {
  await Promise.all(clients.map((c) => c.dispose()));
  await sleep(300);
}

const bench: Benchmark = async ({ quick }) => {
  const issuer = await TestIssuer.create();
  const tokens = await Promise.all(Array.from({ length: USERS }, (_, i) => issuer.token({ sub: `user-${i}` })));
  const ticker = await startTestSubgraph(tickerModule, issuer.verifier);
  const catalog = await startTestSubgraph(catalogModule, issuer.verifier);
  const supergraphSdl = composeSupergraph([
    { name: 'ticker', url: `${ticker.url}/graphql`, typeDefs: tickerModule.typeDefs },
    { name: 'catalog', url: `${catalog.url}/graphql`, typeDefs: catalogModule.typeDefs },
  ]);
  const startRouter = async (shared: boolean) => {
    const instance = createRouter({
      supergraphSdl,
      verifier: issuer.verifier,
      revocations: issuer.revocations,
      logger: createLogger({ service: 'router', level: 'silent' }),
      subscriptionLimits: { maxPerUser: 100_000, maxTotal: 100_000, maxBufferedEvents: 100_000 },
      sharedSubscriptionFields: shared ? ['broadcast'] : [],
    });
    const { url } = await instance.listen(0, '127.0.0.1');
    return { instance, url: `${url.replace(/^http/, 'ws')}/graphql` };
  };
  const { instance: router, url: viaRouter } = await startRouter(false);
  const { instance: sharingRouter, url: viaSharingRouter } = await startRouter(true);
  const direct = `${ticker.url.replace(/^http/, 'ws')}/graphql`;

  const sizes = quick ? [100, 1000] : [100, 1000, 10_000];
  const latencyRows: Array<Array<string | number>> = [];
  for (const n of sizes) {
    const events = n >= 10_000 ? 20 : 50;
    const pace = n >= 10_000 ? 200 : 20;
    const d = await measure(direct, tokens, n, events, 'n', pace);
    await closeAll(d.clients);
    for (const [mode, url] of [['own upstream each', viaRouter], ['shared upstream', viaSharingRouter]] as const) {
      const r = await measure(url, tokens, n, events, 'n', pace);
      await closeAll(r.clients);
      latencyRows.push([
        n.toLocaleString('en-US'),
        mode,
        formatNumber(d.eventsPerSecond),
        formatNumber(r.eventsPerSecond),
        formatNumber(d.p50),
        formatNumber(r.p50),
        formatNumber(r.p50 - d.p50),
        formatNumber(d.p99),
        formatNumber(r.p99),
        formatNumber(r.p99 - d.p99),
      ]);
    }
  }

  // Entity fields from a second subgraph: one extra fetch per event per upstream stream.
  const entityRows: Array<Array<string | number>> = [];
  for (const [mode, url] of [['own upstream each', viaRouter], ['shared upstream', viaSharingRouter]] as const) {
    const n = 100;
    const r = await measure(url, tokens, n, 50, 'n item { name }', 50);
    await closeAll(r.clients);
    entityRows.push([n, mode, formatNumber(r.eventsPerSecond), formatNumber(r.p50), formatNumber(r.p99)]);
  }

  // Memory: idle subscriptions held open, router path minus direct path.
  const idle = quick ? 1000 : 10_000;
  const base = await settledMemoryMb();
  const directIdle = await openSubscribers(direct, tokens, idle, 'idle-direct', 'n', () => {});
  const withDirect = await settledMemoryMb();
  await closeAll(directIdle);
  const base2 = await settledMemoryMb();
  const routerIdle = await openSubscribers(viaRouter, tokens, idle, 'idle-router', 'n', () => {});
  const withRouter = await settledMemoryMb();
  const routerStats = router.subscriptions.stats();
  await closeAll(routerIdle);
  const directCost = withDirect.rss - base.rss;
  const routerCost = withRouter.rss - base2.rss;
  const addedByRouter = routerCost - directCost;

  await router.close();
  await sharingRouter.close();
  await ticker.server.close();
  await catalog.server.close();
  return {
    title: 'Subscriptions through the router',
    notes: [
      `One process on loopback (clients, router and subgraph share ${process.env.NODE_ENV ?? 'development'} Node ${process.version}, 2 cores); ${SUBSCRIBERS_PER_CONNECTION} subscriptions per client connection, ${USERS} users.`,
      'Latency: from publishing an event in the subgraph to its receipt by a client. "added" = via router minus direct.',
      'Events are published 50 per second (5 per second at 10,000 subscribers). "shared upstream": identical subscriptions share one upstream stream (opt-in per field, for pure live streams).',
    ],
    tables: [
      {
        caption: 'Fan-out of one event stream (primary fetch only)',
        columns: ['subscribers', 'router mode', 'direct events/s', 'router events/s', 'direct p50 ms', 'router p50 ms', 'added p50 ms', 'direct p99 ms', 'router p99 ms', 'added p99 ms'],
        rows: latencyRows,
      },
      { caption: 'With an entity field from a second subgraph (router only, 20 events/s)', columns: ['subscribers', 'router mode', 'events/s', 'p50 ms', 'p99 ms'], rows: entityRows },
      {
        caption: `${idle.toLocaleString('en-US')} idle subscriptions (RSS after GC)`,
        columns: ['direct MB', 'via router MB', 'added by router MB', 'router KB per subscription', 'upstream sockets'],
        rows: [[formatNumber(directCost), formatNumber(routerCost), formatNumber(addedByRouter), formatNumber((addedByRouter * 1024) / idle), routerStats.upstreamSockets]],
      },
    ],
  };
};

export default bench;

import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { formatNumber, percentile, spawnBenchProcess, type BenchProcess, type Benchmark } from '@voiceassist/benchmarks';
import { benchEnv } from '@voiceassist/benchmarks/env';
import { createFlagsClient, type FlagSubject } from '@voiceassist/flags-client';
import { graphqlRequest } from '@voiceassist/testkit';
import { type RouterTarget } from '@voiceassist/test-supergraph';
import { dataOf } from '@voiceassist/testkit/graphql-client';
import { uniqueKey } from './supergraph.js';

// 1. A flag change reaching N subscribers through the router: from sending updateFlag (HTTP,
//    through the router) to the N-th subscriber receiving the UPDATED event over graphql-ws.
// 2. Local evaluation throughput of the backend flags client (@voiceassist/flags-client).
// Three processes on loopback: identity + flags, the router, and the clients (this process).

const PROCESS = new URL('./bench-process.ts', import.meta.url);

interface Setup {
  routerUrl: string;
  flagsUrl: string;
  adminToken: string;
  userTokens: string[];
  gql<T>(query: string, variables: Record<string, unknown>, token: string): Promise<T>;
}

const SUBSCRIPTIONS_PER_CONNECTION = 10;

interface FanOut {
  subscribers: number;
  changes: number;
  lastP50: number;
  lastP99: number;
  lastMax: number;
  eachP50: number;
  eachP99: number;
  /** CPU time per change of the flags service (with identity) and of the router processes. */
  servicesCpuMsPerChange: number;
  routerCpuMsPerChange: number;
}

async function fanOut(t: Setup, parts: { services: BenchProcess; router: BenchProcess }, url: string, subscribers: number, changes: number): Promise<FanOut> {
  const key = uniqueKey('bench.fanout');
  await t.gql('mutation C($key: String!) { createFlag(input: { key: $key, enabled: true, visibility: AUTHENTICATED, rolloutPercentage: 50 }) { version } }', { key }, t.adminToken);
  const arrivals = new Map<number, number[]>();
  const clients: Client[] = [];
  const ready: Array<Promise<void>> = [];
  for (let i = 0; i < subscribers; i += SUBSCRIPTIONS_PER_CONNECTION) {
    // Connect in batches: a thousand simultaneous handshakes overflow the listen backlog.
    if (i > 0 && i % (SUBSCRIPTIONS_PER_CONNECTION * 100) === 0) await Promise.all(ready);
    const token = t.userTokens[(i / SUBSCRIPTIONS_PER_CONNECTION) % t.userTokens.length]!;
    const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false });
    clients.push(client);
    for (let j = 0; j < SUBSCRIPTIONS_PER_CONNECTION && i + j < subscribers; j++) {
      ready.push(
        new Promise<void>((resolve, reject) => {
          client.subscribe<{ flagChanges: { version: number; kind: string } }>(
            { query: 'subscription S($keys: [String!]) { flagChanges(keys: $keys) { version kind evaluation { enabled } } }', variables: { keys: [key] } },
            {
              next: ({ data }) => {
                const event = data?.flagChanges;
                if (!event) return;
                if (event.kind === 'SNAPSHOT') return resolve();
                const at = performance.now();
                const list = arrivals.get(event.version);
                if (list) list.push(at);
                else arrivals.set(event.version, [at]);
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
  await sleep(300);

  const last: number[] = [];
  const each: number[] = [];
  let servicesCpuMs = 0;
  let routerCpuMs = 0;
  // The first changes through a fresh path load code and warm the JIT: not counted.
  const warmUp = 3;
  for (let i = -warmUp; i < changes; i++) {
    const servicesBefore = parts.services.cpuMs();
    const routerBefore = parts.router.cpuMs();
    const started = performance.now();
    const { updateFlag } = await t.gql<{ updateFlag: { version: number } }>(
      'mutation U($key: String!, $p: Int!) { updateFlag(key: $key, input: { rolloutPercentage: $p }) { version } }',
      { key, p: (i + warmUp) % 100 },
      t.adminToken,
    );
    const deadline = Date.now() + 30_000;
    while ((arrivals.get(updateFlag.version)?.length ?? 0) < subscribers) {
      if (Date.now() > deadline) throw new Error(`only ${arrivals.get(updateFlag.version)?.length ?? 0} of ${subscribers} subscribers got version ${updateFlag.version}`);
      await sleep(1);
    }
    if (i >= 0) {
      servicesCpuMs += parts.services.cpuMs() - servicesBefore;
      routerCpuMs += parts.router.cpuMs() - routerBefore;
      const times = arrivals.get(updateFlag.version)!.map((at) => at - started);
      last.push(Math.max(...times));
      each.push(...times);
    }
    // Paced: latency, not queueing behind a burst, is what is measured.
    await sleep(50);
  }
  await Promise.all(clients.map((c) => c.dispose()));
  await sleep(300);
  last.sort((a, b) => a - b);
  each.sort((a, b) => a - b);
  return {
    subscribers,
    changes,
    lastP50: percentile(last, 50),
    lastP99: percentile(last, 99),
    lastMax: last.at(-1)!,
    eachP50: percentile(each, 50),
    eachP99: percentile(each, 99),
    servicesCpuMsPerChange: servicesCpuMs / changes,
    routerCpuMsPerChange: routerCpuMs / changes,
  };
}

async function evaluationThroughput(t: Setup, evaluations: number) {
  const keys = {
    plain: uniqueKey('bench.plain'),
    rollout: uniqueKey('bench.rollout'),
    variants: uniqueKey('bench.variants'),
    rules: uniqueKey('bench.rules'),
  };
  const create = (input: Record<string, unknown>) =>
    t.gql('mutation C($input: CreateFlagInput!) { createFlag(input: $input) { version } }', { input: { enabled: true, visibility: 'INTERNAL', ...input } }, t.adminToken);
  await create({ key: keys.plain });
  await create({ key: keys.rollout, rolloutPercentage: 35 });
  await create({ key: keys.variants, variants: [{ key: 'a', weight: 34, value: { n: 1 } }, { key: 'b', weight: 33, value: { n: 2 } }, { key: 'c', weight: 33, value: { n: 3 } }] });
  await create({
    key: keys.rules,
    rolloutPercentage: 20,
    variants: [{ key: 'a', weight: 50 }, { key: 'b', weight: 50 }],
    rules: [
      { kind: 'ROLE_IN', values: ['SUPERADMIN'] },
      { kind: 'USER_ID_IN', values: Array.from({ length: 50 }, (_, i) => `vip-${i}`) },
      { kind: 'EMAIL_DOMAIN_IN', values: ['clinic.example', 'hospital.example'] },
      { kind: 'ATTRIBUTE_IN', attribute: 'platform', values: ['ios', 'android'], enabled: false },
      { kind: 'ATTRIBUTE_EQUALS', attribute: 'cohort', values: ['pilot'] },
    ],
  });
  const client = createFlagsClient({ url: `${t.flagsUrl}/graphql` });
  await client.ready(10_000);
  const subjects: FlagSubject[] = Array.from({ length: 10_000 }, (_, i) => ({
    userId: `5b0f${i.toString(16).padStart(4, '0')}-7d1c-4b7e-9a51-${i.toString(16).padStart(12, '0')}`,
    role: i % 10 === 0 ? 'ADMIN' : 'USER',
    email: `user${i}@${i % 7 === 0 ? 'clinic.example' : 'mail.example'}`,
    attributes: { platform: i % 3 === 0 ? 'web' : 'desktop' },
  }));
  const rows: Array<Array<string | number>> = [];
  for (const [name, key] of Object.entries(keys)) {
    let enabled = 0;
    for (let i = 0; i < 20_000; i++) if (client.isEnabled(key, subjects[i % subjects.length])) enabled++; // warm-up
    enabled = 0;
    const started = performance.now();
    for (let i = 0; i < evaluations; i++) if (client.evaluate(key, subjects[i % subjects.length])!.enabled) enabled++;
    const seconds = (performance.now() - started) / 1000;
    rows.push([name, evaluations.toLocaleString('en-US'), formatNumber(evaluations / seconds / 1e6), formatNumber((seconds * 1e9) / evaluations), formatNumber((enabled / evaluations) * 100, 1)]);
  }
  await client.close();
  return rows;
}

/** CPU ms for 10^8 additions: about 100 on an idle modern core; scales the other figures on a busy machine. */
function calibrationMs(): number {
  const before = process.cpuUsage();
  let sum = 0;
  for (let i = 0; i < 1e8; i++) sum += i;
  const used = process.cpuUsage(before);
  return sum > 0 ? (used.user + used.system) / 1000 : Number.NaN;
}

const bench: Benchmark = async ({ quick }) => {
  const calibration = calibrationMs();
  const services = await spawnBenchProcess(PROCESS);
  const parts: BenchProcess[] = [services];
  try {
    const started = await services.request<{ target: RouterTarget; flagsUrl: string; adminToken: string; userTokens: string[] }>('startServices', { users: quick ? 10 : 50 });
    const router = await spawnBenchProcess(PROCESS);
    parts.push(router);
    const routerUrl = await router.request<string>('startRouter', { target: started.target });
    const t: Setup = {
      ...started,
      routerUrl,
      gql: async (query, variables, token) => dataOf(await graphqlRequest(routerUrl, query, variables, { token })),
    };
    const direct = `${started.flagsUrl.replace(/^http/, 'ws')}/graphql`;
    const runs: Array<FanOut & { path: string }> = [];
    for (const subscribers of quick ? [1_000] : [100, 1_000, 5_000]) {
      const changes = quick ? 10 : subscribers >= 5_000 ? 20 : 50;
      runs.push({ path: 'router', ...(await fanOut(t, { services, router }, routerUrl.replace(/^http/, 'ws'), subscribers, changes)) });
      runs.push({ path: 'flags subgraph directly', ...(await fanOut(t, { services, router }, direct, subscribers, changes)) });
    }
    const evaluationRows = await evaluationThroughput(t, quick ? 200_000 : 2_000_000);
    return {
      title: 'Feature flags: change fan-out and local evaluation',
      notes: [
        `Three processes on loopback, 2 cores: identity + flags (${benchEnv.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${benchEnv.REDIS_URL ? 'Redis' : 'in-process'} pub/sub), the router, and the clients; Node ${process.version}; load average ${loadavg()[0]!.toFixed(1)} at the end; calibration: 10^8 additions took ${formatNumber(calibration)} CPU ms (about 100 on an idle modern core).`,
        `${t.userTokens.length} users, ${SUBSCRIPTIONS_PER_CONNECTION} subscriptions per client connection, each to flagChanges(keys: [one flag]) with its own evaluation.`,
        'Latency runs from sending updateFlag to the router until the last (or each) subscriber has the UPDATED event; changes are sent one at a time, 50 ms apart, after 3 uncounted warm-up changes. Target: p99 to the last subscriber ≤ 100 ms at 1,000.',
        'CPU ms per change: the flags service\'s process (flags and identity) and the router\'s process, from the mutation to the last delivery.',
        'Evaluation: the backend flags client evaluating in memory (INTERNAL flags), 10,000 distinct subjects.',
      ],
      tables: [
        {
          caption: 'A change reaching every subscriber through the router',
          columns: ['subscribers', 'subscribed at', 'changes', 'last subscriber p50 ms', 'last subscriber p99 ms', 'last subscriber max ms', 'each delivery p50 ms', 'each delivery p99 ms', 'flags CPU ms per change', 'router CPU ms per change'],
          rows: runs.map((r) => [
            r.subscribers.toLocaleString('en-US'),
            r.path,
            r.changes,
            formatNumber(r.lastP50),
            formatNumber(r.lastP99),
            formatNumber(r.lastMax),
            formatNumber(r.eachP50),
            formatNumber(r.eachP99),
            formatNumber(r.servicesCpuMsPerChange),
            formatNumber(r.routerCpuMsPerChange),
          ]),
        },
        {
          caption: 'Local evaluation by the backend flags client',
          columns: ['flag', 'evaluations', 'million evaluations/s', 'ns per evaluation', 'enabled %'],
          rows: evaluationRows,
        },
      ],
    };
  } finally {
    await Promise.all(parts.map((part) => part.close()));
  }
};

export default bench;

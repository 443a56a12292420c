import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { FlagChangesDocument, FlagsDocument } from '@voiceassist/typed-operations';
import { usersAt, type Scenario } from './scenarios.js';

export interface LoadTestOptions {
  /** The router's GraphQL endpoint (http(s)://host/graphql). */
  url: string;
  scenario: Scenario;
  /** Overrides the scenario's duration (the stages keep their proportions). */
  durationSeconds?: number | undefined;
  /** How long one request (or a subscription's first event) may take before it counts as an error. */
  requestTimeoutMs?: number;
}

export interface LoadTestSummary {
  scenario: string;
  url: string;
  durationSeconds: number;
  requests: number;
  errors: number;
  errorRate: number;
  /** Errors by kind: `HTTP 503`, a GraphQL error code, `timeout`, `network`. */
  errorKinds: Record<string, number>;
  requestsPerSecond: number;
  /** Of successful requests; for subscriptions, the time to each one's first event. */
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  passed: boolean;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]! : 0);
const round = (ms: number) => Math.round(ms * 10) / 10;

/** Runs one scenario against a running supergraph and stops by itself at the end of its duration. */
export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestSummary> {
  const scenario = { ...options.scenario, durationSeconds: options.durationSeconds ?? options.scenario.durationSeconds };
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  let requests = 0;
  const fail = (kind: string) => {
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };
  const started = performance.now();
  const endsAt = started + scenario.durationSeconds * 1_000;

  if (scenario.subscriptions) {
    requests = scenario.subscriptions;
    await holdSubscriptions(options.url, scenario.subscriptions, endsAt, timeoutMs, latencies, fail);
  } else {
    const users: Array<Promise<void>> = [];
    const user = async (index: number) => {
      // A user runs while the current stage wants at least index + 1 users.
      while (performance.now() < endsAt && index < usersAt(scenario, performance.now() - started)) {
        requests += 1;
        const sent = performance.now();
        const outcome = await query(options.url, timeoutMs);
        if (outcome === 'ok') latencies.push(performance.now() - sent);
        else fail(outcome);
      }
    };
    let running = 0;
    while (performance.now() < endsAt) {
      const wanted = usersAt(scenario, performance.now() - started);
      // Users past the wanted count stop on their own; start any missing ones (their index is free again).
      for (; running < wanted; running++) users.push(user(running).finally(() => running--));
      await sleep(50);
    }
    await Promise.all(users);
  }

  const elapsedSeconds = (performance.now() - started) / 1_000;
  const errors = Object.values(errorKinds).reduce((sum, n) => sum + n, 0);
  const sorted = latencies.sort((a, b) => a - b);
  const errorRate = requests ? errors / requests : 1;
  return {
    scenario: scenario.name,
    url: options.url,
    durationSeconds: Math.round(elapsedSeconds * 10) / 10,
    requests,
    errors,
    errorRate,
    errorKinds,
    requestsPerSecond: Math.round((requests / elapsedSeconds) * 10) / 10,
    latencyMs: { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) },
    passed: requests > 0 && errorRate <= scenario.maxErrorRate,
  };
}

/** One anonymous flags query (a trusted operation, so it runs on a safelisting router too). */
async function query(url: string, timeoutMs: number): Promise<string> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query: FlagsDocument.toString(), operationName: 'Flags' }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json().catch(() => ({}))) as { errors?: Array<{ extensions?: { code?: string } }> };
    const code = body.errors?.[0]?.extensions?.code;
    if (code) return code;
    return response.ok ? 'ok' : `HTTP ${response.status}`;
  } catch (error) {
    return error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network';
  }
}

/** Opens `count` flag-change subscriptions, times each one's first event, and holds them to the end. */
async function holdSubscriptions(url: string, count: number, endsAt: number, timeoutMs: number, latencies: number[], fail: (kind: string) => void) {
  const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  const held = Array.from({ length: count }, async () => {
    const opened = performance.now();
    const iterator = client.iterate({ query: FlagChangesDocument.toString(), operationName: 'FlagChanges' })[Symbol.asyncIterator]();
    try {
      const first = await Promise.race([iterator.next(), sleep(timeoutMs).then(() => 'timeout' as const)]);
      if (first === 'timeout') return fail('timeout');
      if (first.done || first.value.errors?.length) return fail(String(first.value?.errors?.[0]?.extensions?.code ?? 'closed'));
      latencies.push(performance.now() - opened);
      // Held until the end; an error or completion before then counts against it.
      const ended = await Promise.race([iterator.next().then(() => 'ended' as const, () => 'ended' as const), sleep(Math.max(0, endsAt - performance.now())).then(() => 'held' as const)]);
      if (ended === 'ended') fail('subscription ended early');
    } catch (error) {
      fail(error instanceof Error ? 'network' : 'closed');
    } finally {
      await iterator.return?.();
    }
  });
  await Promise.all(held);
  await client.dispose();
}

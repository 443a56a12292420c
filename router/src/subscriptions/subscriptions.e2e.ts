import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubgraphServer } from '@voiceassist/subgraph-server';
import type { Router } from '../router.js';
import { TestIssuer, startTickerRouter, tickerStats } from '../../testing/fixtures.js';

let issuer: TestIssuer;
let ticker: { server: SubgraphServer; url: string };
let catalog: { server: SubgraphServer; url: string };
let router: Router;
let wsUrl: string;
let metricsUrl: string;
const tickerTcpSockets = new Set<Socket>();

const MAX_BUFFERED = 100;
const MAX_PER_USER = 5;

beforeAll(async () => {
  issuer = await TestIssuer.create();
  ({ ticker, catalog, router } = await startTickerRouter(issuer, {
    subscriptionLimits: { maxBufferedEvents: MAX_BUFFERED, maxPerUser: MAX_PER_USER },
    metricsListener: { port: 0, host: '127.0.0.1' },
  }));
  ticker.server.httpServer.on('connection', (socket) => {
    tickerTcpSockets.add(socket);
    socket.once('close', () => tickerTcpSockets.delete(socket));
  });
  const listening = await router.listen(0, '127.0.0.1');
  metricsUrl = listening.metricsUrl!;
  wsUrl = `${listening.url.replace(/^http/, 'ws')}/graphql`;
});

afterAll(async () => {
  await router?.close();
  await ticker?.server.close();
  await catalog?.server.close();
});

interface Outcome {
  events: ExecutionResult[];
  error?: unknown;
  completed: boolean;
}

function client(token?: string, extra: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    ...extra,
  });
}

/** Subscribes and gathers everything until complete or error (or `until` says stop). */
function run(c: Client, query: string, variables: Record<string, unknown> = {}, until?: (events: ExecutionResult[]) => boolean) {
  const outcome: Outcome = { events: [], completed: false };
  let unsubscribe: () => void = () => {};
  const done = new Promise<Outcome>((resolve) => {
    unsubscribe = c.subscribe(
      { query, variables },
      {
        next: (event) => {
          outcome.events.push(event as ExecutionResult);
          if (until?.(outcome.events)) {
            unsubscribe();
            resolve(outcome);
          }
        },
        error: (error) => {
          outcome.error = error;
          resolve(outcome);
        },
        complete: () => {
          outcome.completed = true;
          resolve(outcome);
        },
      },
    );
  });
  return { done, unsubscribe: () => unsubscribe(), outcome };
}

const TICKS = 'subscription Ticks($count: Int!, $interval: Int!) { ticks(count: $count, intervalMs: $interval) { n item { id name } } }';

describe('subscriptions through the router', () => {
  it('delivers each event complete, with entity fields from another subgraph, in order, then completes', async () => {
    const c = client(await issuer.token());
    const { events, completed, error } = await run(c, TICKS, { count: 40, interval: 0 }).done;
    expect(error).toBeUndefined();
    expect(completed).toBe(true);
    expect(events.map((e) => (e.data as { ticks: { n: number } }).ticks.n)).toEqual([...Array(40).keys()]);
    expect(events[7]).toEqual({ data: { ticks: { n: 7, item: { id: 'item-7', name: 'Item #7' } } } });
    await c.dispose();
  });

  it("refuses documents that do not parse or validate with Apollo's codes, and variables that do not coerce with BAD_USER_INPUT", async () => {
    const c = client(await issuer.token());
    const codeOf = (outcome: Outcome) => ((outcome.error ?? []) as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code;
    expect(codeOf(await run(c, 'subscription { ticks(count: 1').done)).toBe('GRAPHQL_PARSE_FAILED');
    expect(codeOf(await run(c, 'subscription { nope }').done)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(codeOf(await run(c, TICKS, { count: 'many', interval: 0 }).done)).toBe('BAD_USER_INPUT');
    await c.dispose();
  });

  it('shapes each event exactly as the client asked: aliases, fragments in the order selected, __typename', async () => {
    const c = client(await issuer.token());
    const asked = await run(c, 'subscription { ticks(count: 2, intervalMs: 0) { __typename number: n } }').done;
    expect(asked.events).toEqual([{ data: { ticks: { __typename: 'Tick', number: 0 } } }, { data: { ticks: { __typename: 'Tick', number: 1 } } }]);
    // The subgraph is asked for `x: n n`; the client gets x, then item, then n, as it selected them.
    const merged = await run(c, 'subscription { ticks(count: 1, intervalMs: 0) { x: n ...More } } fragment More on Tick { item { id } n }').done;
    expect(merged.events).toHaveLength(1);
    expect(JSON.stringify(merged.events[0])).toBe('{"data":{"ticks":{"x":0,"item":{"id":"item-0"},"n":0}}}');
    await c.dispose();
  });

  it('accepts queries and mutations over the same connection', async () => {
    const c = client();
    const query = await run(c, '{ tickerPing item(id: "item-3") { name } }').done;
    expect(query.events).toEqual([{ data: { tickerPing: 'pong', item: { name: 'Item #3' } } }]);
    const mutation = await run(c, 'mutation { shout(text: "hi") }').done;
    expect(mutation.events).toEqual([{ data: { shout: 'HI' } }]);
    await c.dispose();
  });

  it('lets anonymous callers subscribe to what the subgraph allows anonymously, and refuses the rest', async () => {
    const c = client();
    const open = await run(c, TICKS, { count: 2, interval: 0 }).done;
    expect(open.events).toHaveLength(2);
    const closed = await run(c, 'subscription { privateTicks(count: 2) { n } }').done;
    expect(JSON.stringify(closed.events.length ? closed.events : closed.error)).toContain('UNAUTHENTICATED');
    await c.dispose();
  });

  it('closes connections with a bad or expired token with 4401', async () => {
    for (const token of ['garbage', await issuer.token({ expiresIn: Math.floor(Date.now() / 1000) - 5 })]) {
      const closed = new Promise<number>((resolve) => {
        const c = client(token, { on: { closed: (event) => resolve((event as { code: number }).code) } });
        c.subscribe({ query: TICKS, variables: { count: 1, interval: 0 } }, { next: () => {}, error: () => {}, complete: () => {} });
      });
      expect(await closed).toBe(4401);
    }
  });

  it('ends a subscription with UNAUTHENTICATED and complete when the token expires mid-stream', async () => {
    const c = client(await issuer.token({ expiresIn: Math.floor(Date.now() / 1000) + 2 }));
    const started = Date.now();
    const { events } = await run(c, TICKS, { count: 1000, interval: 50 }).done;
    const last = events.at(-1);
    expect(last?.errors?.[0]).toMatchObject({ message: 'Access token has expired', extensions: { code: 'UNAUTHENTICATED' } });
    expect(events.length).toBeGreaterThan(3);
    expect(Date.now() - started).toBeLessThan(3_500);
    // Nothing keeps running upstream past expiry.
    await expect.poll(() => tickerStats.active, { timeout: 1_000 }).toBe(0);
    await c.dispose();
  });

  it("ends a revoked session's subscriptions within one second", async () => {
    const sid = 'session-to-revoke';
    const c = client(await issuer.token({ sid }));
    const run1 = run(c, TICKS, { count: 10_000, interval: 20 });
    await expect.poll(() => run1.outcome.events.length).toBeGreaterThan(0);
    const revokedAt = Date.now();
    await issuer.revocations.revoke(sid, 60);
    const { events } = await run1.done;
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    expect(events.at(-1)?.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await c.dispose();
  });

  it('closes the upstream subscription within a second of client complete or disconnect', async () => {
    const c = client(await issuer.token());
    const sub = run(c, TICKS, { count: 10_000, interval: 10 });
    await expect.poll(() => sub.outcome.events.length).toBeGreaterThan(0);
    expect(tickerStats.active).toBe(1);
    sub.unsubscribe();
    await expect.poll(() => tickerStats.active, { timeout: 1_000 }).toBe(0);
    await c.dispose();

    const raw = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => raw.once('open', resolve));
    raw.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await new Promise((resolve) => raw.once('message', resolve));
    raw.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: TICKS, variables: { count: 10_000, interval: 10 } } }));
    await new Promise((resolve) => raw.once('message', resolve));
    expect(tickerStats.active).toBe(1);
    raw.terminate();
    await expect.poll(() => tickerStats.active, { timeout: 1_000 }).toBe(0);
    await expect.poll(() => router.subscriptions.stats().upstreamSockets, { timeout: 3_000 }).toBe(0);
  });

  it('reports an upstream crash as DOWNSTREAM_SERVICE_ERROR naming the subgraph, then completes', async () => {
    const c = client(await issuer.token());
    const sub = run(c, TICKS, { count: 10_000, interval: 10 });
    await expect.poll(() => sub.outcome.events.length).toBeGreaterThan(1);
    for (const socket of tickerTcpSockets) socket.destroy();
    const { events, completed } = await sub.done;
    expect(completed).toBe(true);
    expect(events.at(-1)?.errors?.[0]).toMatchObject({ extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'ticker' } });
    await c.dispose();
  });

  it('answers subscribes over the per-user cap with an error and keeps the socket open', async () => {
    const c = client(await issuer.token({ sub: 'capped-user' }));
    const open = Array.from({ length: MAX_PER_USER }, () => run(c, TICKS, { count: 10_000, interval: 50 }));
    await expect.poll(() => open.every((s) => s.outcome.events.length > 0)).toBe(true);
    const refused = await run(c, TICKS, { count: 1, interval: 0 }).done;
    expect(JSON.stringify(refused.error)).toContain('RATE_LIMITED');
    const query = await run(c, '{ tickerPing }').done;
    expect(query.events).toEqual([{ data: { tickerPing: 'pong' } }]);
    for (const s of open) s.unsubscribe();
    await c.dispose();
  });

  it('caps anonymous subscriptions per socket address, whatever X-Forwarded-For a client sends', async () => {
    // Each connection claims another address; the router trusts no proxy, so all are one client.
    const spoofing = (n: number) => client(undefined, { webSocketImpl: class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { 'x-forwarded-for': `203.0.113.${n}` } });
      }
    } });
    const clients = Array.from({ length: MAX_PER_USER + 1 }, (_, n) => spoofing(n + 1));
    const open = clients.slice(0, MAX_PER_USER).map((c) => run(c, TICKS, { count: 10_000, interval: 50 }));
    await expect.poll(() => open.every((s) => s.outcome.events.length > 0)).toBe(true);
    const refused = await run(clients[MAX_PER_USER]!, TICKS, { count: 1, interval: 0 }).done;
    expect(JSON.stringify(refused.error)).toContain('RATE_LIMITED');
    for (const s of open) s.unsubscribe();
    for (const c of clients) await c.dispose();
  });

  it('closes a client that reads too slowly instead of buffering without bound', async () => {
    const raw = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => raw.once('open', resolve));
    raw.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    await new Promise((resolve) => raw.once('message', resolve));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => raw.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    raw.send(
      JSON.stringify({
        id: 'slow',
        type: 'subscribe',
        payload: { query: 'subscription { ticks(count: 5000, paddingBytes: 32000) { n padding } }' },
      }),
    );
    // Stop reading: TCP back-pressure reaches the router.
    (raw as unknown as { _socket: Socket })._socket.pause();
    await expect.poll(() => tickerStats.active, { timeout: 1_000 }).toBe(1);
    // The router gives up on the client and stops the upstream stream, instead of buffering.
    await expect.poll(() => tickerStats.active, { timeout: 10_000, interval: 50 }).toBe(0);
    expect(router.subscriptions.stats().subscriptions).toBe(0);
    (raw as unknown as { _socket: Socket })._socket.resume();
    const { code, reason } = await closed;
    expect(code).toBe(4408);
    expect(reason).toContain('Slow consumer');
  });

  it('leaves no upstream socket open after 1,000 subscribe/unsubscribe cycles', { timeout: 120_000 }, async () => {
    const c = client(await issuer.token());
    for (let i = 0; i < 1_000; i++) {
      const sub = run(c, 'subscription { ticks(count: 2) { n } }', {}, (events) => events.length >= 1);
      await sub.done;
    }
    await c.dispose();
    // Upstream subscriptions end within a second; the idle connection closes soon after.
    await expect.poll(() => tickerStats.active, { timeout: 1_000 }).toBe(0);
    await expect.poll(() => router.subscriptions.stats().subscriptions, { timeout: 1_000 }).toBe(0);
    await expect.poll(() => router.subscriptions.stats().upstreamSockets, { timeout: 3_000 }).toBe(0);
  });

  it('exposes subscription metrics', async () => {
    const counted = async (name: string) => {
      const text = await (await fetch(metricsUrl)).text();
      return Number(new RegExp(`${name}\\{[^}]*field="ticks"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
    };
    const [inBefore, outBefore] = [await counted('router_subscription_events_in_total'), await counted('router_subscription_events_out_total')];
    const c = client();
    await run(c, TICKS, { count: 3, interval: 0 }).done;
    await c.dispose();
    expect(await counted('router_subscription_events_in_total')).toBe(inBefore + 3);
    expect(await counted('router_subscription_events_out_total')).toBe(outBefore + 3);
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toMatch(/router_subscription_event_added_latency_seconds_bucket/);
    expect(text).toMatch(/router_open_subscriptions\{[^}]*field="ticks"[^}]*\} 0/);
    await sleep(0);
  });
});

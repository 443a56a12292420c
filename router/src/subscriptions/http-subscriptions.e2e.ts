import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createClient as createSseClient, type NetworkError } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv, tracingEnvShape, z } from '@voiceassist/env';
import type { SubgraphServer } from '@voiceassist/subgraph-server';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@voiceassist/otlp-receiver';
import { waitUntil } from '@voiceassist/testkit/wait';
import { startTracing, type Tracing } from '@voiceassist/tracing';
import { routerEnvSchema } from '../env.js';
import type { Router } from '../router.js';
import { TestIssuer, startTickerRouter, tickerStats } from '../../testing/fixtures.js';
import { HTTP_STREAM_FORMATS } from './http-transports.js';

let issuer: TestIssuer;
let ticker: { server: SubgraphServer; url: string };
let catalog: { server: SubgraphServer; url: string };
let router: Router;
let graphqlUrl: string;

const MAX_PER_USER = 3;
const TICKS = 'subscription Ticks($count: Int!, $interval: Int!) { ticks(count: $count, intervalMs: $interval) { n item { id name } } }';

beforeAll(async () => {
  issuer = await TestIssuer.create();
  ({ ticker, catalog, router } = await startTickerRouter(issuer, { subscriptionLimits: { maxPerUser: MAX_PER_USER, maxBufferedEvents: 100 } }));
  graphqlUrl = `${(await router.listen(0, '127.0.0.1')).url}/graphql`;
});

afterAll(async () => {
  await router?.close();
  await ticker?.server.close();
  await catalog?.server.close();
});

interface Outcome {
  events: Array<Record<string, unknown>>;
  error?: unknown;
  completed: boolean;
}

interface Run {
  outcome: Outcome;
  done: Promise<Outcome>;
  stop(): void;
}

/** Subscribes with graphql-sse's own client (distinct connections mode), gathering everything. */
function sse(query: string, variables: Record<string, unknown>, token?: string, headers: Record<string, string> = {}): Run {
  const client = createSseClient({ url: graphqlUrl, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) }, retryAttempts: 0 });
  const outcome: Outcome = { events: [], completed: false };
  let stop = () => {};
  const done = new Promise<Outcome>((resolve) => {
    stop = client.subscribe(
      { query, variables },
      {
        next: (event) => void outcome.events.push(event as Record<string, unknown>),
        error: (error) => resolve(Object.assign(outcome, { error })),
        complete: () => resolve(Object.assign(outcome, { completed: true })),
      },
    );
  });
  return { outcome, done, stop: () => stop() };
}

/** Subscribes with Apollo Client over its HttpLink (multipart subscriptions over fetch). */
function apollo(query: string, variables: Record<string, unknown>, token?: string, headers: Record<string, string> = {}): Run {
  const client = new ApolloClient({ link: new HttpLink({ uri: graphqlUrl, headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } }), cache: new InMemoryCache() });
  const outcome: Outcome = { events: [], completed: false };
  let stop = () => {};
  const done = new Promise<Outcome>((resolve) => {
    const subscription = client.subscribe({ query: gql(query), variables }).subscribe({
      // Apollo Client 4 reports a failed request or a transport error as a result with `error`.
      next: (event) => {
        if (event.error) resolve(Object.assign(outcome, { error: event.error }));
        else outcome.events.push({ ...event });
      },
      error: (error) => resolve(Object.assign(outcome, { error })),
      complete: () => resolve(Object.assign(outcome, { completed: true })),
    });
    stop = () => subscription.unsubscribe();
  });
  return { outcome, done, stop: () => stop() };
}

const ticks = (events: Outcome['events']) => events.filter((e) => e.data).map((e) => (e.data as { ticks: { n: number } }).ticks.n);

describe.each([
  ['GraphQL over SSE (graphql-sse client)', sse],
  ['multipart subscriptions (Apollo Client HttpLink)', apollo],
] as const)('subscriptions over HTTP: %s', (_name, subscribe) => {
  it('delivers every event in order with entity fields from another subgraph, then completes', async () => {
    const { events, completed, error } = await subscribe(TICKS, { count: 20, interval: 0 }, await issuer.token()).done;
    expect(error).toBeUndefined();
    expect(completed).toBe(true);
    expect(ticks(events)).toEqual([...Array(20).keys()]);
    expect(events[7]?.data).toMatchObject({ ticks: { n: 7, item: { id: 'item-7', name: 'Item #7' } } });
  });

  it('refuses a bad token with 401 before anything reaches a subgraph', async () => {
    const { error, events } = await subscribe(TICKS, { count: 1, interval: 0 }, 'garbage').done;
    expect(events).toEqual([]);
    const status = (error as NetworkError).response?.status ?? (error as { statusCode?: number }).statusCode;
    expect(status).toBe(401);
  });

  it("ends the stream with UNAUTHENTICATED when the caller's session is revoked", async () => {
    const sid = `revoked-${subscribe.name}`;
    const run = subscribe(TICKS, { count: 10_000, interval: 20 }, await issuer.token({ sid }));
    await expect.poll(() => run.outcome.events.length).toBeGreaterThan(0);
    await issuer.revocations.revoke(sid, 60);
    const outcome = await run.done;
    expect(JSON.stringify(outcome.error ?? outcome.events.at(-1))).toContain('UNAUTHENTICATED');
    await expect.poll(() => tickerStats.active, { timeout: 1_000 }).toBe(0);
  });

  it('stops the upstream subscription when the client goes away', async () => {
    const run = subscribe(TICKS, { count: 10_000, interval: 10 }, await issuer.token());
    await expect.poll(() => run.outcome.events.length).toBeGreaterThan(0);
    expect(tickerStats.active).toBe(1);
    run.stop();
    await expect.poll(() => tickerStats.active, { timeout: 1_000 }).toBe(0);
  });
});

describe('subscriptions over HTTP share the limits of graphql-ws', () => {
  it('counts SSE, multipart and WebSocket subscriptions against one per-user cap', async () => {
    const token = await issuer.token({ sub: 'capped-user' });
    const ws = createWsClient({ url: graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    let wsEvents = 0;
    const stopWs = ws.subscribe({ query: TICKS, variables: { count: 10_000, interval: 20 } }, { next: () => void (wsEvents += 1), error: () => {}, complete: () => {} });
    const open = [sse(TICKS, { count: 10_000, interval: 20 }, token), apollo(TICKS, { count: 10_000, interval: 20 }, token)];
    await expect.poll(() => wsEvents > 0 && open.every((run) => run.outcome.events.length > 0)).toBe(true);

    const refusedSse = await sse(TICKS, { count: 1, interval: 0 }, token).done;
    expect((refusedSse.error as NetworkError).response?.status).toBe(429);
    const refusedApollo = await apollo(TICKS, { count: 1, interval: 0 }, token).done;
    expect((refusedApollo.error as { statusCode?: number }).statusCode).toBe(429);

    for (const run of open) run.stop();
    stopWs();
    await ws.dispose();
    await expect.poll(() => router.subscriptions.stats().subscriptions, { timeout: 1_000 }).toBe(0);
  });

  it.each(['text/event-stream', 'multipart/mixed;subscriptionSpec="1.0"'])('drops a %s client that stops reading instead of buffering without bound', async (accept) => {
    const request = httpRequest(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept } });
    // Far more than the subgraph could send in the time the test waits: only the router ends it.
    request.end(JSON.stringify({ query: 'subscription { ticks(count: 1000000, paddingBytes: 32000) { n padding } }' }));
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    expect(response.statusCode).toBe(200);
    // Stop reading: TCP back-pressure reaches the router.
    response.socket.pause();
    await expect.poll(() => tickerStats.active, { timeout: 1_000 }).toBe(1);
    // The router gives up on the client and stops the upstream stream.
    await expect.poll(() => tickerStats.active, { timeout: 10_000, interval: 50 }).toBe(0);
    expect(router.subscriptions.stats().subscriptions).toBe(0);
    // What was written drains, then the response is cut off (not ended as a finished stream).
    const closed = new Promise((resolve) => response.once('close', resolve));
    response.on('error', () => {});
    response.resume();
    response.socket.resume();
    await closed;
    expect(response.complete).toBe(false);
  });

  it('still refuses a subscription sent as a plain JSON POST (one response cannot carry it)', async () => {
    const response = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ query: TICKS, variables: { count: 1, interval: 0 } }) });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('SUBSCRIPTION_NEEDS_STREAM');
  });

  it('answers a query sent over SSE with its one result, then completes', async () => {
    const { events, completed } = await sse('{ tickerPing item(id: "item-3") { name } }', {}).done;
    expect(completed).toBe(true);
    expect(events).toEqual([{ data: { tickerPing: 'pong', item: { name: 'Item #3' } } }]);
  });
});

describe('the wire formats, as curl sees them', () => {
  const post = (accept: string, query = TICKS, variables: Record<string, unknown> = { count: 2, interval: 0 }) =>
    fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query, variables }) });

  it('answers a POST with Accept: text/event-stream alone as graphql-sse events', async () => {
    const response = await post('text/event-stream');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(await response.text()).toBe(
      'event: next\ndata: {"data":{"ticks":{"n":0,"item":{"id":"item-0","name":"Item #0"}}}}\n\n' +
        'event: next\ndata: {"data":{"ticks":{"n":1,"item":{"id":"item-1","name":"Item #1"}}}}\n\n' +
        'event: complete\ndata:\n\n',
    );
  });

  it('answers multipart/mixed with {"payload":{"data":…}} parts and the closing delimiter', async () => {
    const response = await post('multipart/mixed;subscriptionSpec="1.0", application/json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('multipart/mixed;boundary="graphql";subscriptionSpec="1.0"');
    const part = (json: string) => `\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}\r\n--graphql`;
    expect(await response.text()).toBe(
      '\r\n--graphql' +
        part('{"payload":{"data":{"ticks":{"n":0,"item":{"id":"item-0","name":"Item #0"}}}}}') +
        part('{"payload":{"data":{"ticks":{"n":1,"item":{"id":"item-1","name":"Item #1"}}}}}') +
        '--\r\n',
    );
  });

  it('sends a multipart heartbeat ({}) every 5 s while a subscription is quiet', { timeout: 15_000 }, async () => {
    const response = await post('multipart/mixed;subscriptionSpec="1.0"', TICKS, { count: 1, interval: 6_500 });
    const part = (json: string) => `\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}\r\n--graphql`;
    expect(await response.text()).toBe(`\r\n--graphql${part('{}')}${part('{"payload":{"data":{"ticks":{"n":0,"item":{"id":"item-0","name":"Item #0"}}}}}')}--\r\n`);
  });

  it('sends an SSE keep-alive comment every 12 s by default, or every SUBSCRIPTIONS_SSE_KEEPALIVE_MS, while a subscription is quiet', async () => {
    expect(loadEnv(routerEnvSchema, {}).SUBSCRIPTIONS_SSE_KEEPALIVE_MS).toBe(12_000);
    expect(HTTP_STREAM_FORMATS.sse.heartbeatMs).toBe(12_000);
    const keepAliveMs = loadEnv(routerEnvSchema, { SUBSCRIPTIONS_SSE_KEEPALIVE_MS: '250' }).SUBSCRIPTIONS_SSE_KEEPALIVE_MS;
    const quick = await startTickerRouter(issuer, { sseKeepAliveMs: keepAliveMs });
    try {
      const url = `${(await quick.router.listen(0, '127.0.0.1')).url}/graphql`;
      // One tick after 1.2 s: about four keep-alives before it, none after the stream ends.
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ query: TICKS, variables: { count: 1, interval: 1_200 } }) });
      const text = await response.text();
      const event = 'event: next\ndata: {"data":{"ticks":{"n":0,"item":{"id":"item-0","name":"Item #0"}}}}\n\n';
      expect(text.endsWith(`${event}event: complete\ndata:\n\n`)).toBe(true);
      const keepAlives = text.slice(0, -`${event}event: complete\ndata:\n\n`.length);
      expect(keepAlives).toMatch(/^(:\n\n)+$/);
      expect(keepAlives.length / 3).toBeGreaterThanOrEqual(2);
      expect(keepAlives.length / 3).toBeLessThanOrEqual(5);
    } finally {
      await quick.router.close();
      await quick.ticker.server.close();
      await quick.catalog.server.close();
    }
  });

  it('delivers the first event as soon as graphql-ws does, not held back until the next one', async () => {
    // Ticks come 1.5 s apart (the first after 1.5 s): a transport that held a part back until the
    // next one would show the first event after 3 s.
    const slow = { count: 2, interval: 1_500 };
    const token = await issuer.token();
    const firstEventMs = async (run: Run) => {
      const started = performance.now();
      await expect.poll(() => run.outcome.events.length, { timeout: 5_000, interval: 5 }).toBeGreaterThan(0);
      run.stop();
      return performance.now() - started;
    };
    const ws = createWsClient({ url: graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    const wsRun: Run = { outcome: { events: [], completed: false }, done: Promise.resolve({ events: [], completed: false }), stop: () => {} };
    wsRun.stop = ws.subscribe({ query: TICKS, variables: slow }, { next: (event) => void wsRun.outcome.events.push({ ...event }), error: () => {}, complete: () => {} });
    const overWs = await firstEventMs(wsRun);
    await ws.dispose();
    for (const subscribe of [sse, apollo]) {
      const overHttp = await firstEventMs(subscribe(TICKS, slow, token));
      expect(overHttp).toBeLessThan(2_800);
      expect(overHttp - overWs).toBeLessThan(500);
    }
  });
});

// Last in this file: tracing stays registered in this process once it has been on.
describe('subscriptions over HTTP continue the trace of their traceparent header', () => {
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = startTracing(loadEnv(z.object(tracingEnvShape), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), 'voiceassist');
  });
  afterAll(async () => {
    await tracing?.shutdown();
    await receiver?.close();
  });

  const spansOf = (traceId: string, predicate: (span: ReceivedSpan) => boolean) => receiver.spans.filter((s) => s.traceId === traceId && predicate(s));

  it.each([
    ['GraphQL over SSE', sse],
    ['multipart', apollo],
  ] as const)('%s: the router\'s subscription span is in the header\'s trace (under its request span), its events and the subgraph\'s in that trace', async (_name, subscribe) => {
    expect(tracing.enabled).toBe(true);
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const run = subscribe(TICKS, { count: 3, interval: 0 }, await issuer.token(), { traceparent: `00-${traceId}-${callerSpanId}-01` });
    const { completed, events } = await run.done;
    expect(completed).toBe(true);
    expect(ticks(events)).toEqual([0, 1, 2]);
    await tracing.flush();

    // The caller's span → the router's request span → the subscription's span.
    const request = await receiver.waitForSpan((s) => s.traceId === traceId && s.name === 'POST /graphql');
    expect(request.parentSpanId).toBe(callerSpanId);
    const subscription = await receiver.waitForSpan((s) => s.traceId === traceId && s.name === 'subscription ticks');
    expect(subscription.parentSpanId).toBe(request.spanId);
    expect(subscription.attributes['service.name']).toBe('router');
    const routerEvents = () => spansOf(traceId, (s) => s.name === 'subscription.event' && s.attributes['service.name'] === 'router');
    const tickerEvents = () => spansOf(traceId, (s) => s.name === 'subscription.event' && s.attributes['service.name'] === 'ticker');
    await waitUntil(() => routerEvents().length === 3 && tickerEvents().length === 3);
    expect(routerEvents().every((s) => s.parentSpanId === subscription.spanId)).toBe(true);
    expect(tickerEvents().every((s) => s.parentSpanId === subscription.spanId)).toBe(true);
  });
});

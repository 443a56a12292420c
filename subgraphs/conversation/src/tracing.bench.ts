import { formatNumber, percentile, type Benchmark } from '@voiceassist/benchmarks';
import { loadEnv, tracingEnvShape, z } from '@voiceassist/env';
import { startSupergraph } from '@voiceassist/testkit';
import { startOtlpReceiver } from '@voiceassist/testkit/otlp-receiver';
import { startTracing } from '@voiceassist/tracing';
import { Harness, wholeReply } from './testing/harness.js';

// What tracing costs a request: one in-process supergraph (router, identity, conversation on
// PGlite), the same query (the caller's conversations: router → conversation → PostgreSQL)
// sent one at a time, first with tracing off (no OTLP endpoint), then on, exporting every span
// over OTLP/HTTP (protobuf) to a collector in the same process, so the export's own work is
// counted too. Then replies: sendMessage and the whole reply streamed back, where tracing adds a
// span per token logged and per delivery at conversation and at the router. Off first: Apollo
// Gateway keeps the tracer it found, so off after on would still create (unexported) spans.
const QUERY = `query { conversations(first: 5) { edges { node { id title } } } }`;

const bench: Benchmark = async ({ quick }) => {
  const requests = quick ? 200 : 1_000;
  const replies = quick ? 20 : 100;
  // Tokens as fast as the embedded provider makes them: the reply's time is the machinery's.
  const supergraph = await startSupergraph({ subgraphs: ['identity', 'conversation'], env: { conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: '0' } } });
  const receiver = await startOtlpReceiver();
  const h = new Harness(supergraph);
  const account = await h.signUp('bench');
  for (let i = 0; i < 3; i++) await h.createConversation(account, `conversation ${i}`);
  const conversationId = await h.createConversation(account, 'replies');
  const client = h.client(account);

  /** sendMessage, then its whole reply over the router's WebSocket: each token a span of its own and two deliveries while tracing. */
  async function runReplies(): Promise<{ p50: number; p95: number; p99: number; perSecond: number; tokens: number }> {
    const reply = async (text: string) => wholeReply(client, (await h.send(account, conversationId, text)).assistantMessage.id);
    for (let i = 0; i < 10; i++) await reply(`Warm-up ${i}`);
    const latencies: number[] = [];
    let tokens = 0;
    const started = performance.now();
    for (let i = 0; i < replies; i++) {
      const t = performance.now();
      tokens += (await reply(`Reply number ${i}`)).length;
      latencies.push(performance.now() - t);
    }
    const elapsed = performance.now() - started;
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), perSecond: (replies / elapsed) * 1000, tokens: tokens / replies };
  }

  async function run(): Promise<{ p50: number; p95: number; p99: number; perSecond: number }> {
    for (let i = 0; i < 50; i++) await h.data(QUERY, {}, account.accessToken);
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      await h.data(QUERY, {}, account.accessToken);
      latencies.push(performance.now() - t);
    }
    const elapsed = performance.now() - started;
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), perSecond: (requests / elapsed) * 1000 };
  }

  const rows: Array<Array<string | number>> = [];
  const row = (mode: string, r: Awaited<ReturnType<typeof run>>, spans: number | string) =>
    rows.push([mode, formatNumber(r.p50), formatNumber(r.p95), formatNumber(r.p99), formatNumber(r.perSecond, 0), spans]);
  const replyRows: Array<Array<string | number>> = [];
  const replyRow = (mode: string, r: Awaited<ReturnType<typeof runReplies>>, spans: number | string) =>
    replyRows.push([mode, formatNumber(r.p50), formatNumber(r.p95), formatNumber(r.p99), formatNumber(r.perSecond, 1), formatNumber(r.tokens, 0), spans]);
  try {
    const off = startTracing(loadEnv(z.object(tracingEnvShape), {}), 'voiceassist');
    row('off (no endpoint)', await run(), off.enabled ? 'on?' : 0);
    replyRow('off (no endpoint)', await runReplies(), off.enabled ? 'on?' : 0);
    const on = startTracing(loadEnv(z.object(tracingEnvShape), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }), 'voiceassist');
    const traced = await run();
    await on.flush();
    const querySpans = receiver.spans.length;
    row('on (OTLP http/protobuf, every span kept)', traced, formatNumber(querySpans / (requests + 50), 1));
    const tracedReplies = await runReplies();
    await on.flush();
    replyRow('on (OTLP http/protobuf, every span kept)', tracedReplies, formatNumber((receiver.spans.length - querySpans) / (replies + 10), 0));
    await on.shutdown();
  } finally {
    await client.dispose();
    await supergraph.stop();
    await receiver.close();
  }
  return {
    title: 'Tracing on and off (`pnpm bench tracing`)',
    notes: [
      `Queries: ${requests} sequential requests after 50 warm-up, one process (router, identity and conversation on PGlite, the collector too). Latencies in ms.`,
      `Replies: ${replies} sequential sendMessage calls, each followed by its whole reply over the router's WebSocket (embedded provider, no token delay, no knowledge), after 10 warm-up: ms from the send to the last event.`,
    ],
    tables: [
      { columns: ['tracing', 'p50', 'p95', 'p99', 'requests/s', 'spans per request'], rows },
      { columns: ['tracing (replies)', 'p50', 'p95', 'p99', 'replies/s', 'events per reply', 'spans per reply'], rows: replyRows },
    ],
  };
};

export default bench;

import { formatNumber, percentile, type Benchmark } from '@voiceassist/benchmarks';
import { loadEnv, tracingEnvShape, z } from '@voiceassist/env';
import { startSupergraph } from '@voiceassist/testkit';
import { startOtlpReceiver } from '@voiceassist/testkit/otlp-receiver';
import { startTracing } from '@voiceassist/tracing';
import { Harness } from './testing/harness.js';

// What tracing costs a request: one in-process supergraph (router, identity, conversation on
// PGlite), the same query (the caller's conversations: router → conversation → PostgreSQL)
// sent one at a time, first with tracing off (no OTLP endpoint), then on, exporting every span
// over OTLP/HTTP (protobuf) to a collector in the same process, so the export's own work is
// counted too. Off first: Apollo Gateway keeps the tracer it found, so off after on would
// still create (unexported) spans.
const QUERY = `query { conversations(first: 5) { edges { node { id title } } } }`;

const bench: Benchmark = async ({ quick }) => {
  const requests = quick ? 200 : 1_000;
  const supergraph = await startSupergraph({ subgraphs: ['identity', 'conversation'] });
  const receiver = await startOtlpReceiver();
  const h = new Harness(supergraph);
  const account = await h.signUp('bench');
  for (let i = 0; i < 3; i++) await h.createConversation(account, `conversation ${i}`);

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
  try {
    const off = startTracing(loadEnv(z.object(tracingEnvShape), {}), 'voiceassist');
    row('off (no endpoint)', await run(), off.enabled ? 'on?' : 0);
    const on = startTracing(loadEnv(z.object(tracingEnvShape), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }), 'voiceassist');
    const traced = await run();
    await on.flush();
    row('on (OTLP http/protobuf, every span kept)', traced, formatNumber(receiver.spans.length / (requests + 50), 1));
    await on.shutdown();
  } finally {
    await supergraph.stop();
    await receiver.close();
  }
  return {
    title: 'Tracing on and off (`pnpm bench tracing`)',
    notes: [`${requests} sequential requests after 50 warm-up, one process (router, identity and conversation on PGlite, the collector too). Latencies in ms.`],
    tables: [{ columns: ['tracing', 'p50', 'p95', 'p99', 'requests/s', 'spans per request'], rows }],
  };
};

export default bench;

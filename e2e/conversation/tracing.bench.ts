import { formatNumber, spawnBenchProcess, type Benchmark } from '@voiceassist/benchmarks';
import { startOtlpReceiver } from '@voiceassist/otlp-receiver';
import type { Timings } from './tracing-bench-process.js';

// What tracing costs: an in-process supergraph (router, identity, conversation on PGlite) in a
// child process, with tracing off (no OTLP endpoint) or on, every span exported over OTLP/HTTP
// (protobuf) to a collector in this process. Two workloads, one at a time: a query (the caller's
// conversations: router → conversation → PostgreSQL), and sendMessage followed by its whole
// reply over the router's WebSocket, where tracing adds a span per token logged and per
// delivery at conversation and at the router. Off and on alternate, each in a fresh process
// (off, on, on, off): one process cannot turn tracing off again (Apollo Gateway keeps the tracer
// it found), and whichever ran first on a shared machine would take its drifting load alone.
const PROCESS = new URL('./tracing-bench-process.ts', import.meta.url);
const ORDER = ['off', 'on', 'on', 'off'] as const;

const bench: Benchmark = async ({ quick }) => {
  const queries = quick ? 200 : 1_000;
  const replies = quick ? 20 : 100;
  const receiver = await startOtlpReceiver();
  const queryRows: Array<Array<string | number>> = [];
  const replyRows: Array<Array<string | number>> = [];
  const cells = (t: Timings) => [formatNumber(t.p50), formatNumber(t.p95), formatNumber(t.p99)];
  try {
    for (const [i, mode] of ORDER.entries()) {
      const child = await spawnBenchProcess(PROCESS);
      try {
        const { tracing } = await child.request<{ tracing: boolean }>('start', mode === 'on' ? { endpoint: receiver.endpoint } : {});
        if (tracing !== (mode === 'on')) throw new Error(`tracing should be ${mode}`);
        // Spans of the set-up (sign-up, conversations) are in before counting starts.
        await child.request('flush');
        const beforeQueries = receiver.spans.length;
        const query = await child.request<Timings>('queries', { count: queries });
        await child.request('flush');
        const beforeReplies = receiver.spans.length;
        const reply = await child.request<Timings>('replies', { count: replies });
        await child.request('flush');
        const label = `${mode} (process ${i + 1})`;
        queryRows.push([label, ...cells(query), formatNumber(query.perSecond, 0), formatNumber((beforeReplies - beforeQueries) / (queries + 50), 1)]);
        replyRows.push([label, ...cells(reply), formatNumber(reply.perSecond, 1), formatNumber(reply.events ?? 0, 0), formatNumber((receiver.spans.length - beforeReplies) / (replies + 10), 0)]);
      } finally {
        await child.close();
      }
    }
  } finally {
    await receiver.close();
  }
  return {
    title: 'Tracing on and off (`pnpm bench tracing`)',
    notes: [
      `Queries: ${queries} sequential requests after 50 warm-up. Replies: ${replies} sequential sendMessage calls after 10 warm-up, each followed by its whole reply over the router's WebSocket (embedded provider, no token delay, no knowledge), timed from the send to the last event. Latencies in ms.`,
      'Each row is a fresh process (router, identity, conversation on PGlite); the collector runs in the parent.',
    ],
    tables: [
      { columns: ['tracing', 'p50', 'p95', 'p99', 'requests/s', 'spans per request'], rows: queryRows },
      { columns: ['tracing (replies)', 'p50', 'p95', 'p99', 'replies/s', 'events per reply', 'spans per reply'], rows: replyRows },
    ],
  };
};

export default bench;

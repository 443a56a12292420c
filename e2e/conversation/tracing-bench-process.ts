// A child process of tracing.bench.ts: one in-process supergraph (router, identity, conversation
// on PGlite) with tracing off or on, driven by the parent: each mode gets processes of its own,
// so off and on can alternate (one process cannot turn tracing off again: Apollo Gateway keeps
// the tracer it found).
import { percentile, serveBenchProcess } from '@voiceassist/benchmarks';
import { loadEnv, tracingEnvShape, z } from '@voiceassist/env';
import { startSupergraph } from '@voiceassist/test-supergraph';
import { startTracing, type Tracing } from '@voiceassist/tracing';
import { Harness, wholeReply, type Account } from './harness.js';

const QUERY = `query { conversations(first: 5) { edges { node { id title } } } }`;

export interface Timings {
  p50: number;
  p95: number;
  p99: number;
  perSecond: number;
  /** Events per reply (replies only). */
  events?: number;
}

const stops: Array<() => Promise<void>> = [];
let h: Harness;
let account: Account;
let conversationId: string;
let tracing: Tracing;

async function timed(count: number, warmUp: number, once: (i: number) => Promise<number | void>): Promise<Timings> {
  for (let i = 0; i < warmUp; i++) await once(i);
  const latencies: number[] = [];
  let events = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    events += (await once(i)) ?? 0;
    latencies.push(performance.now() - t);
  }
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), perSecond: (count / elapsed) * 1000, events: events / count };
}

serveBenchProcess(
  {
    /** Tracing first (off without an endpoint), then the supergraph, so every part sees it as it is. */
    async start({ endpoint }: { endpoint?: string }) {
      tracing = startTracing(loadEnv(z.object(tracingEnvShape), endpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } : {}), 'voiceassist');
      stops.push(() => tracing.shutdown());
      // Tokens as fast as the embedded provider makes them: a reply's time is the machinery's.
      const supergraph = await startSupergraph({ subgraphs: ['identity', 'conversation'], env: { conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: '0' } } });
      stops.unshift(() => supergraph.stop());
      h = new Harness(supergraph);
      account = await h.signUp('bench');
      for (let i = 0; i < 3; i++) await h.createConversation(account, `conversation ${i}`);
      conversationId = await h.createConversation(account, 'replies');
      return { tracing: tracing.enabled };
    },
    async queries({ count }: { count: number }) {
      return timed(count, 50, async () => void (await h.data(QUERY, {}, account.accessToken)));
    },
    /** sendMessage, then its whole reply over the router's WebSocket. */
    async replies({ count }: { count: number }) {
      const client = h.client(account);
      try {
        return await timed(count, 10, async (i) => (await wholeReply(client, (await h.send(account, conversationId, `Reply number ${i}`)).assistantMessage.id)).length);
      } finally {
        await client.dispose();
      }
    },
    async flush() {
      await tracing.flush();
    },
  },
  { onClose: async () => void (await Promise.allSettled(stops.map((stop) => stop()))) },
);

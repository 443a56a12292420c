import { loadavg } from 'node:os';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { formatNumber, percentile, type Benchmark } from '@voiceassist/benchmarks';
import { benchEnv } from '@voiceassist/benchmarks/env';
import { startSupergraph } from '@voiceassist/test-supergraph';
import type { ConversationService } from '@voiceassist/conversation';
import { Harness, type Account } from './harness.js';

// Time to first token and per-token latency of reply streams through the router vs on the
// conversation subgraph directly, with 1 and many concurrent streams. Each token's latency is
// measured from the moment an in-process follower of the token log sees it (the token is then
// appended and published) to its arrival at the client over WebSocket, so the difference
// between the two paths is what the router adds. One process on loopback (clients, router,
// identity and conversation), on the embedded chat provider pacing tokens like a fast LLM.

const TOKEN_DELAY_MS = 20;
const USERS = 20;
const SUBSCRIPTION = `subscription($id: ID!) { messageStream(messageId: $id) { index delta done } }`;

interface Pass {
  ttft: number[];
  latency: number[];
  tokens: number;
  seconds: number;
}

function subscribe(client: Client, messageId: string, onEvent: (index: number) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    client.subscribe<{ messageStream: { index: number; done: boolean } }>({ query: SUBSCRIPTION, variables: { id: messageId } }, {
      next: (result) => {
        const event = result.data?.messageStream;
        if (event && !event.done) onEvent(event.index);
      },
      error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
      complete: () => resolve(),
    });
  });
}

async function pass(h: Harness, service: ConversationService, accounts: Account[], clients: Map<string, Client>, streams: number): Promise<Pass> {
  const conversations = await Promise.all(Array.from({ length: streams }, (_, i) => h.createConversation(accounts[i % accounts.length]!)));
  const out: Pass = { ttft: [], latency: [], tokens: 0, seconds: 0 };
  const started = performance.now();
  await Promise.all(
    conversations.map(async (conversationId, i) => {
      const account = accounts[i % accounts.length]!;
      const { assistantMessage } = await h.send(account, conversationId, `Benchmark question ${i}`);
      const sentAt = performance.now();
      const appended: number[] = [];
      const arrived: number[] = [];
      const reference = (async () => {
        for await (const entry of service.tokenLog.follow(assistantMessage.id, -1)) if (!entry.done) appended[entry.index] = performance.now();
      })();
      await subscribe(clients.get(account.id)!, assistantMessage.id, (index) => (arrived[index] = performance.now()));
      await reference;
      out.ttft.push(arrived[0]! - sentAt);
      for (let k = 0; k < arrived.length; k++) out.latency.push(arrived[k]! - appended[k]!);
      out.tokens += arrived.length;
    }),
  );
  out.seconds = (performance.now() - started) / 1000;
  out.ttft.sort((a, b) => a - b);
  out.latency.sort((a, b) => a - b);
  return out;
}

const bench: Benchmark = async ({ quick }) => {
  const supergraph = await startSupergraph({
    subgraphs: ['identity', 'conversation'],
    env: {
      identity: { AUTH_THROTTLE_PER_MINUTE: '100000' },
      conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS), BUDGET_TOKENS_USER: '1000000000' },
    },
    router: { subscriptionLimits: { maxPerUser: 100_000, maxTotal: 100_000, maxBufferedEvents: 100_000 } },
  });
  const h = new Harness(supergraph);
  const service = supergraph.subgraphs.conversation!.service as ConversationService;
  const directUrl = `${supergraph.subgraphs.conversation!.url.replace(/^http/, 'ws')}/graphql`;
  try {
    const accounts: Account[] = [];
    for (let i = 0; i < USERS; i++) accounts.push(await h.signUp(`bench-${i}`));
    const viaRouter = new Map(accounts.map((a) => [a.id, h.client(a)]));
    const direct = new Map(
      accounts.map((a) => [a.id, createClient({ url: directUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${a.accessToken}` }, retryAttempts: 0 })]),
    );
    // Warm-up: connections open, plans cached, the JIT warm.
    await pass(h, service, accounts, viaRouter, 5);
    await pass(h, service, accounts, direct, 5);

    const merge = (runs: Pass[]): Pass => ({
      ttft: runs.flatMap((r) => r.ttft).sort((a, b) => a - b),
      latency: runs.flatMap((r) => r.latency).sort((a, b) => a - b),
      tokens: runs.reduce((n, r) => n + r.tokens, 0),
      seconds: runs.reduce((n, r) => n + r.seconds, 0),
    });
    const sequential = quick ? 5 : 20;
    const concurrent = quick ? 50 : 200;
    const rows: Array<Array<string | number>> = [];
    for (const streams of [1, concurrent]) {
      const results: Record<'direct' | 'router', Pass> = { direct: { ttft: [], latency: [], tokens: 0, seconds: 0 }, router: { ttft: [], latency: [], tokens: 0, seconds: 0 } };
      const repeats = streams === 1 ? sequential : 1;
      for (const path of ['direct', 'router'] as const) {
        const runs: Pass[] = [];
        for (let i = 0; i < repeats; i++) runs.push(await pass(h, service, accounts, path === 'router' ? viaRouter : direct, streams));
        results[path] = merge(runs);
      }
      for (const path of ['direct', 'router'] as const) {
        const r = results[path];
        rows.push([
          streams,
          path,
          formatNumber(percentile(r.ttft, 50)),
          formatNumber(percentile(r.ttft, 99)),
          formatNumber(percentile(r.latency, 50)),
          formatNumber(percentile(r.latency, 99)),
          path === 'router' ? formatNumber(percentile(r.latency, 50) - percentile(results.direct.latency, 50)) : '',
          path === 'router' ? formatNumber(percentile(r.latency, 99) - percentile(results.direct.latency, 99)) : '',
          formatNumber(r.tokens / r.seconds),
        ]);
      }
    }
    await Promise.all([...viaRouter.values(), ...direct.values()].map((c) => c.dispose()));
    return {
      title: 'Reply streaming: through the router vs the conversation subgraph directly',
      notes: [
        `One process on loopback (clients, router, identity, conversation; Node ${process.version}; load average ${loadavg()[0]!.toFixed(1)} at the end, 2 cores shared with other work); ${benchEnv.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${benchEnv.REDIS_URL ? 'Redis stream' : 'in-process'} token log.`,
        `Embedded chat provider, a token every ${TOKEN_DELAY_MS} ms (50 tokens/s per stream, the 32-token no-knowledge answer); ${USERS} users; direct and router passes run one after the other.`,
        `TTFT: sendMessage returning → first token at the client (includes opening the subscription). Token latency: token appended to the log → token at the client. 1 stream: ${sequential} replies one after another.`,
      ],
      tables: [
        {
          columns: ['concurrent streams', 'path', 'TTFT p50 ms', 'TTFT p99 ms', 'token latency p50 ms', 'token latency p99 ms', 'added p50 ms', 'added p99 ms', 'tokens/s delivered'],
          rows,
        },
      ],
    };
  } finally {
    await supergraph.stop();
  }
};

export default bench;

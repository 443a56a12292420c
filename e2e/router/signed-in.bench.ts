import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatNumber, percentile, pinToCpus, type Benchmark } from '@voiceassist/benchmarks';
import { benchEnv } from '@voiceassist/benchmarks/env';
import { dataOf, testEnv } from '@voiceassist/testkit';
import { startSupergraph } from '@voiceassist/test-supergraph';
import { buildRouter, routerEngineVariant, rssMb, startBuiltRouter, type BuiltRouter } from '@voiceassist/router/testing/built-router';
import { runLoad } from '@voiceassist/router/bench/gateways/load';

// `pnpm bench signed-in`: the common frontend query, signed in, through the router as deployed
// (the built router alone on CPU 1; identity and conversation, and this load generator, on
// CPU 0), 50 connections; and, in the same run, through the in-process router of the test kit
// (everything in one process on both cores, how it was measured before). Set DATABASE_URL to
// run the subgraphs on PostgreSQL (PGlite otherwise).

/** GATEWAY_BENCH_ENGINES=apollo,native measures the built router on each ROUTER_ENGINE named (`native-nodedup` too). */
const ENGINES = benchEnv.GATEWAY_BENCH_ENGINES;
const CONNECTIONS = 50;
const PASSWORD = 'violet kettle harbour';
const CONVERSATIONS = 20;

const QUERIES = {
  me: '{ me { id email displayName role } }',
  'me + conversations(first: 20)': `{ me { id email displayName role } conversations(first: ${CONVERSATIONS}) { edges { node { id title } } } }`,
};

const benchmark: Benchmark = async ({ quick }) => {
  const seconds = quick ? 3 : 10;
  await buildRouter();
  const supergraph = await startSupergraph({ subgraphs: ['conversation'] });
  const routers: Array<{ label: string; router: BuiltRouter }> = [];
  const dir = mkdtempSync(join(tmpdir(), 'signed-in-bench-'));
  try {
    const email = `bench-${randomUUID().slice(0, 8)}@example.com`;
    const registered = dataOf(
      await supergraph.request<{ register: { accessToken: string; user: { id: string } } }>(
        'mutation R($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
        { input: { email, password: PASSWORD, displayName: 'Bench' } },
      ),
    ).register;
    const headers = { authorization: `Bearer ${registered.accessToken}` };
    for (let i = 0; i < CONVERSATIONS; i++) {
      dataOf(await supergraph.request('mutation C($title: String) { createConversation(title: $title) { id } }', { title: `bench ${i}` }, { token: registered.accessToken }));
    }
    // The right answers, checked here once by value and then against every response.
    const me = dataOf(await supergraph.request<{ me: Record<string, unknown> }>(QUERIES.me, {}, { token: registered.accessToken }));
    if (me.me.id !== registered.user.id || me.me.email !== email) throw new Error(`me answered ${JSON.stringify(me)}`);
    const both = dataOf(
      await supergraph.request<{ conversations: { edges: Array<{ node: { title: string } }> } }>(QUERIES['me + conversations(first: 20)'], {}, { token: registered.accessToken }),
    );
    const titles = both.conversations.edges.map((edge) => edge.node.title).sort();
    if (titles.length !== CONVERSATIONS || new Set(titles).size !== CONVERSATIONS) throw new Error(`conversations answered ${JSON.stringify(titles)}`);
    const expected = { [QUERIES.me]: { data: me }, [QUERIES['me + conversations(first: 20)']]: { data: both } };

    const supergraphPath = join(dir, 'supergraph.graphql');
    writeFileSync(supergraphPath, supergraph.target.supergraphSdl);
    for (const [i, variant] of ENGINES.entries()) {
      const engine = routerEngineVariant(variant);
      const router = await startBuiltRouter(4_330 + i, {
        SUPERGRAPH_PATH: supergraphPath,
        ...engine.env,
        JWKS_URL: `${supergraph.target.identityUrl}/.well-known/jwks.json`,
        AUTH_ISSUER: supergraph.target.issuer,
        AUTH_AUDIENCE: supergraph.target.audience,
        RATE_LIMIT_PER_MINUTE: '0',
        RATE_LIMIT_GLOBAL_PER_MINUTE: '0',
        NODE_ENV: 'production',
        LOG_LEVEL: 'error',
        ...(testEnv.REDIS_URL ? { REDIS_URL: testEnv.REDIS_URL } : {}),
      });
      routers.push({ label: `built router, own core (${engine.label})`, router });
    }
    const pinned = routers.every(({ router }) => pinToCpus(router.pid, '1')) && pinToCpus(process.pid, '0');

    const targets = [...routers.map(({ label, router }) => ({ label, url: router.url, pid: router.pid as number | undefined })), { label: 'in-process router (all in one process, shared cores)', url: supergraph.graphqlUrl, pid: undefined }];
    const rows: Array<Array<string | number>> = [];
    for (const [name, query] of Object.entries(QUERIES)) {
      for (const target of targets) {
        const body = JSON.stringify({ query });
        await runLoad({ url: target.url, body, expected: expected[query], headers }, CONNECTIONS, 1);
        const load = await runLoad({ url: target.url, body, expected: expected[query], headers }, CONNECTIONS, seconds);
        if (load.wrong > 0) throw new Error(`${target.label} answered ${name} wrongly ${load.wrong} times; first: ${load.firstWrong}`);
        rows.push([
          name,
          target.label,
          `**${formatNumber(load.completed / load.seconds)}**`,
          `${formatNumber(percentile(load.latencies, 50))} / ${formatNumber(percentile(load.latencies, 95))} / ${formatNumber(percentile(load.latencies, 99))}`,
          target.pid ? formatNumber(rssMb(target.pid), 0) : 'n/a',
          `0 of ${load.completed}`,
        ]);
        console.error(`  ${name} via ${target.label}: ${formatNumber(load.completed / load.seconds)} RPS`);
      }
    }
    return {
      title: 'Signed-in queries through the router (`pnpm bench signed-in`)',
      notes: [
        `${CONNECTIONS} connections, closed loop, one token (a signed-up user with ${CONVERSATIONS} conversations), ${seconds} s per row after 1 s of warm-up; every answer compared with the expected JSON.`,
        pinned ? 'Built router pinned to CPU 1; identity, conversation and the load generator (one process) on CPU 0.' : 'Not pinned (taskset unavailable).',
        `Subgraphs on ${testEnv.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}, ${testEnv.REDIS_URL ? 'Redis' : 'in-process pub/sub'}. Target (product gateway reports): 1,000 RPS per gateway, p50 < 50 ms, p95 < 100 ms, p99 < 200 ms on 2 vCPU.`,
        `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
      ],
      tables: [{ columns: ['query', 'router', 'RPS', 'p50 / p95 / p99 ms', 'router RSS MB', 'wrong answers'], rows }],
    };
  } finally {
    for (const { router } of routers) await router.close();
    await supergraph.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};

export default benchmark;

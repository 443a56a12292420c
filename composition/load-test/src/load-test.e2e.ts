import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { SCENARIOS, runLoadTest } from './index.js';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('pnpm loadtest', { timeout: 60_000 }, () => {
  let supergraph: TestSupergraph;
  beforeAll(async () => {
    supergraph = await startSupergraph({ subgraphs: ['flags'] });
  }, 120_000);
  afterAll(() => supergraph?.stop());

  it('runs a scenario against a running supergraph, stops by itself and sums up requests, latencies and errors', async () => {
    const summary = await runLoadTest({ url: supergraph.graphqlUrl, scenario: SCENARIOS.load!, durationSeconds: 2 });
    expect(summary).toMatchObject({ scenario: 'load', errors: 0, errorKinds: {}, passed: true });
    expect(summary.requests).toBeGreaterThan(20);
    expect(summary.durationSeconds).toBeLessThan(5);
    expect(summary.latencyMs.p50).toBeGreaterThan(0);
    expect(summary.latencyMs.p95).toBeGreaterThanOrEqual(summary.latencyMs.p50);
    expect(summary.latencyMs.max).toBeGreaterThanOrEqual(summary.latencyMs.p99);
  });

  it('holds subscriptions over graphql-ws and times their first events', async () => {
    const summary = await runLoadTest({ url: supergraph.graphqlUrl, scenario: { ...SCENARIOS.subscriptions!, subscriptions: 25 }, durationSeconds: 2 });
    expect(summary).toMatchObject({ requests: 25, errors: 0, passed: true });
    expect(summary.latencyMs.max).toBeGreaterThan(0);
  });

  it('fails, naming why, when the target does not answer', async () => {
    const summary = await runLoadTest({ url: `http://127.0.0.1:${await closedPort()}/graphql`, scenario: SCENARIOS.smoke!, durationSeconds: 1 });
    expect(summary.passed).toBe(false);
    expect(summary.errorKinds.network).toBe(summary.requests);
  });

  it('as a command: reads --url, prints the summary and exits 0, or 1 when it fails', async () => {
    const tsx = `${root}node_modules/.bin/tsx`;
    const ok = await execFileAsync(tsx, ['composition/load-test/src/cli.ts', 'smoke', '--url', supergraph.graphqlUrl, '--duration', '1'], { cwd: root });
    expect(ok.stdout).toMatch(/requests \d+/);
    expect(ok.stdout).toMatch(/latency ms p50 [\d.]+ {2}p95/);
    expect(ok.stdout).toMatch(/errors 0 \(0\.00%\)/);
    const failed = await execFileAsync(tsx, ['composition/load-test/src/cli.ts', 'smoke', '--url', `http://127.0.0.1:${await closedPort()}/graphql`, '--duration', '1'], { cwd: root }).catch((error: { code: number; stdout: string }) => error);
    expect(failed).toMatchObject({ code: 1, stdout: expect.stringContaining('FAILED') });
    const usage = await execFileAsync(tsx, ['composition/load-test/src/cli.ts', 'nope'], { cwd: root }).catch((error: { code: number; stderr: string }) => error);
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('subscriptions') });
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { buildService, startScriptNodeFlags } from '@voiceassist/benchmarks';

// The router as deployed, for benchmarks: the bundle `pnpm build` makes (router/dist/index.js,
// where it finds schema/ and the console), run by plain node with its start script's flags
// and only the environment given.

const routerEntry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const routerBundle = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const routerPackageJson = new URL('../package.json', import.meta.url);

export interface BuiltRouter {
  url: string;
  pid: number;
  close(): Promise<void>;
}

/**
 * A GATEWAY_BENCH_ENGINES entry as the router's environment and a label: a ROUTER_ENGINE, or
 * `native-nodedup` (the native engine with ROUTER_DEDUPLICATE_QUERIES=false).
 */
export function routerEngineVariant(variant: string): { env: Record<string, string>; label: string } {
  const noDedup = variant.endsWith('-nodedup');
  const engine = noDedup ? variant.slice(0, -'-nodedup'.length) : variant;
  return {
    env: { ROUTER_ENGINE: engine, ...(noDedup ? { ROUTER_DEDUPLICATE_QUERIES: 'false' } : {}) },
    label: `ROUTER_ENGINE=${engine}${noDedup ? ', ROUTER_DEDUPLICATE_QUERIES=false' : ''}`,
  };
}

/** Builds router/dist/index.js as `pnpm build` does. */
export function buildRouter(): Promise<void> {
  return buildService({ entry: routerEntry, outfile: routerBundle });
}

/** Resident memory of a process, from /proc, in MB. */
export const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`router exited with ${child.exitCode} before it was healthy`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${url} was not healthy within 60 s`);
}

/** Starts the built router on 127.0.0.1:`port` with `env` (ROUTER_PORT and HOST are set here). */
export async function startBuiltRouter(port: number, env: Record<string, string>): Promise<BuiltRouter> {
  const child = spawn(process.execPath, [...startScriptNodeFlags(routerPackageJson), routerBundle], {
    env: { ...env, ROUTER_PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(`${base}/health`, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url: `${base}/graphql`,
    pid: child.pid!,
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

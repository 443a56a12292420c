import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { buildService } from '@voiceassist/service-build';

// Benchmarks that measure one part (the router, a subgraph) run it in its own Node process, so
// its CPU and memory are not mixed with the load generator's. The parts talk over IPC:
// `request(method, params)` in the parent calls the handler of that name in the child.

type Handlers = Record<string, (params: never) => unknown>;

interface Request {
  id: number;
  method: string;
  params: unknown;
}
type Reply = { id: number; result: unknown } | { id: number; error: string };

/** A full garbage collection, when node runs with --expose-gc (the benchmark processes do). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The young generation's resident size: V8 grows it to its maximum under load and at start. */
const youngGenerationMb = () => (getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0) / 1024 / 1024;

/**
 * Memory of this process once settled, as an idle service's is in production: after full
 * collections, and after V8's memory reducer, which some seconds after allocation stops gives
 * back the young generation's pages (a router at 144 MB RSS after start settles at ~108 MB by
 * itself about 25 s later). Waits for that (at most a minute). The child needs --expose-gc,
 * which spawnBenchProcess passes.
 */
export async function settledProcessMemory(): Promise<{ rssMb: number; heapMb: number; youngMb: number }> {
  for (let i = 0; i < 2; i++) {
    collectGarbage();
    await sleep(50);
  }
  const deadline = performance.now() + 60_000;
  while (youngGenerationMb() > 4 && performance.now() < deadline) await sleep(1_000);
  const usage = process.memoryUsage();
  // youngMb stays large when the reducer did not run in time: part of RSS, but not for good.
  return { rssMb: usage.rss / 1024 / 1024, heapMb: usage.heapUsed / 1024 / 1024, youngMb: youngGenerationMb() };
}

/**
 * In the child: answer the parent's requests with these handlers (plus `memory`, settled RSS
 * and heap, and `collectGarbage`, a full collection) until the parent disconnects; then
 * `onClose` and exit.
 */
export function serveBenchProcess(handlers: Handlers, options: { onClose?: () => Promise<void> } = {}): void {
  const all: Handlers = { memory: settledProcessMemory, collectGarbage, ...handlers };
  process.on('message', (message: Request) => {
    const handler = all[message.method];
    void (async () => {
      try {
        if (!handler) throw new Error(`No handler ${message.method}`);
        const result = await handler(message.params as never);
        process.send?.({ id: message.id, result: result ?? null } satisfies Reply);
      } catch (error) {
        process.send?.({ id: message.id, error: (error as Error).stack ?? String(error) } satisfies Reply);
      }
    })();
  });
  process.on('disconnect', () => {
    // What the part started (servers, test databases) is closed before the process exits.
    const close = options.onClose?.() ?? Promise.resolve();
    void close.catch(() => {}).finally(() => process.exit(0));
  });
  process.send?.({ id: 0, result: 'ready' } satisfies Reply);
}

export interface BenchProcess {
  readonly pid: number;
  request<T = unknown>(method: string, params?: unknown): Promise<T>;
  /** CPU time (user + system, ms) the child has used so far, from /proc. */
  cpuMs(): number;
  close(): Promise<void>;
}

/**
 * Starts `module` (a .ts file) as a child process and waits for it to serve. The module is
 * bundled the way services are built for production (`pnpm build`) and run by plain node, so
 * the part's CPU and memory are what a deployed service's would be, without tsx's loader. It
 * inherits this process's environment (`pnpm bench` runs with NODE_ENV=production);
 * `nodeFlags` are the part's production node options (see `startScriptNodeFlags`).
 */
export async function spawnBenchProcess(module: string | URL, options: { nodeFlags?: string[] } = {}): Promise<BenchProcess> {
  const path = module instanceof URL ? fileURLToPath(module) : module;
  const buildDir = mkdtempSync(join(tmpdir(), 'voiceassist-bench-'));
  const bundle = join(buildDir, basename(path).replace(/\.ts$/, '.js'));
  await buildService({ entry: path, outfile: bundle });
  const child: ChildProcess = fork(bundle, [], {
    execArgv: ['--expose-gc', ...(options.nodeFlags ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.once('exit', () => rmSync(buildDir, { recursive: true, force: true }));
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject });
    child.once('exit', (code) => reject(new Error(`${path} exited with ${code} before it was ready`)));
  });
  child.on('message', (reply: Reply) => {
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if ('error' in reply) waiting.reject(new Error(reply.error));
    else waiting.resolve(reply.result);
  });
  child.on('exit', () => {
    for (const waiting of pending.values()) waiting.reject(new Error(`${path} exited`));
    pending.clear();
  });
  await ready;
  const pid = child.pid!;
  return {
    pid,
    request<T>(method: string, params?: unknown) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, method, params } satisfies Request);
      });
    },
    cpuMs() {
      return processCpuMs(pid);
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The node options a package's `start` script runs its service with (`node --flag dist/index.js`). */
export function startScriptNodeFlags(packageJson: string | URL): string[] {
  const { scripts } = JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts?: { start?: string } };
  const words = scripts?.start?.split(/\s+/) ?? [];
  if (words[0] !== 'node') return [];
  return words.slice(1).filter((word) => word.startsWith('--'));
}

/**
 * Restricts a process (all its threads) to some CPUs, e.g. '1': the part under test gets a core
 * of its own and the load generator cannot take its CPU. Returns false where that is not possible.
 */
export function pinToCpus(pid: number, cpus: string): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Linux's USER_HZ: /proc reports CPU time in hundredths of a second. */
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process in ms, from /proc (sampled between phases, not in a hot path). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { testEnv } from '@voiceassist/testkit/env';
import { buildService, serviceFolders } from '../index.js';

// Tests of what production runs: every service built as `pnpm build` builds it and started by
// plain node (no tsx), each in its own process. Built into a temporary folder, so such a test
// checks the build as well as the code, and leaves the working tree's dist/ alone.

export const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));

const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 200;

export interface ServiceProcess {
  /** Package folder, e.g. subgraphs/identity. */
  readonly folder: string;
  /** Base URL from the service's "listening" log line, e.g. http://127.0.0.1:41234 (GraphQL at /graphql). */
  readonly url: string;
  readonly child: ChildProcess;
  /** The last log lines it wrote (stdout and stderr), for failure messages. */
  logTail(): string[];
  /** Sends `signal` (SIGTERM by default, SIGKILL after a grace period) and resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface BuiltServices {
  /** Folders built: the router and every subgraph. */
  readonly folders: string[];
  /** Starts a built service with `env` on top of production defaults and resolves once it listens. */
  start(folder: string, env: Record<string, string>, label?: string): Promise<ServiceProcess>;
  /** Stops every process still running and removes the build. */
  close(): Promise<void>;
}

/** A port free right now, for a service that must come back on the same port after a restart. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The router's engine and planner as the test kit's routers run them (TEST_ROUTER_ENGINE / TEST_QUERY_PLANNER). */
const routerEngineEnv: Record<string, string> = {
  ...(testEnv.TEST_ROUTER_ENGINE ? { ROUTER_ENGINE: testEnv.TEST_ROUTER_ENGINE } : {}),
  ...(testEnv.TEST_QUERY_PLANNER ? { ROUTER_QUERY_PLANNER: testEnv.TEST_QUERY_PLANNER } : {}),
};

/** Builds every service into a temporary folder. Service log lines are echoed when TEST_LOG_LEVEL is not silent. */
export async function buildServices(): Promise<BuiltServices> {
  const outDir = mkdtempSync(join(tmpdir(), 'voiceassist-built-'));
  const folders = serviceFolders(repositoryRoot);
  await Promise.all(folders.map((folder) => buildService({ entry: join(repositoryRoot, folder, 'src', 'index.ts'), outfile: join(outDir, folder, 'index.js') })));
  const running = new Set<ServiceProcess>();
  const echo = testEnv.TEST_LOG_LEVEL !== 'silent';

  function start(folder: string, env: Record<string, string>, label = folder): Promise<ServiceProcess> {
    const child = spawn(process.execPath, [join(outDir, folder, 'index.js')], {
      cwd: join(repositoryRoot, folder),
      env: { PATH: testEnv.PATH, NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: join(outDir, 'data', label), ...routerEngineEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const exited = waitForExit(child);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${label} did not listen within ${START_TIMEOUT_MS} ms:\n${tail.join('\n')}`));
      }, START_TIMEOUT_MS);
      const onEarlyExit = () => {
        clearTimeout(timer);
        reject(new Error(`${label} exited with ${child.exitCode ?? child.signalCode} before listening:\n${tail.join('\n')}`));
      };
      child.once('exit', onEarlyExit);
      const onLine = (line: string) => {
        tail.push(line);
        if (tail.length > LOG_TAIL_LINES) tail.shift();
        if (echo) process.stderr.write(`[${label}] ${line}\n`);
        if (!line.startsWith('{')) return; // not a log line
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        // The service's own listener (GraphQL), not another one it may open (metrics).
        if (!entry.msg?.endsWith('listening') || !entry.url?.endsWith('/graphql')) return;
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        const service: ServiceProcess = {
          folder,
          url: entry.url.replace(/\/graphql$/, ''),
          child,
          logTail: () => [...tail],
          async stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill(signal);
              const grace = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
              await exited;
              clearTimeout(grace);
            }
            running.delete(service);
          },
        };
        running.add(service);
        resolve(service);
      };
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
    });
  }

  return {
    folders,
    start,
    async close() {
      await Promise.all([...running].map((service) => service.stop()));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

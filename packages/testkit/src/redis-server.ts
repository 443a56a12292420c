import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { Redis } from 'ioredis';

/**
 * A redis-server of the test's own on a private random port, for tests that kill, restart or
 * flush Redis: the shared one on 6379 is never touched. No persistence, so a restart comes back empty.
 */
export interface TestRedisServer {
  /** redis://127.0.0.1:<port>, the same across restarts. */
  url: string;
  port: number;
  /** FLUSHALL on this server only. */
  flush(): Promise<void>;
  /** Kills the server (SIGKILL: clients see the connection drop, as in a crash). */
  kill(): Promise<void>;
  /** Starts it again (after kill), empty, on the same port; nothing when it is running. */
  start(): Promise<void>;
  /** kill() then start(). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export async function acceptsConnections(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

// Killed when the test process exits, should a test end without stopping its server.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const isRunning = (child: ChildProcess | undefined): child is ChildProcess => child !== undefined && child.exitCode === null && child.signalCode === null;

export async function startRedisServer(): Promise<TestRedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    // Already up: a second redis-server could not bind the port, and this one would be lost (left running).
    if (isRunning(child)) return;
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    child = started;
    running.add(started);
    started.once('exit', () => running.delete(started));
    const deadline = Date.now() + 5_000;
    while (!(await acceptsConnections(port))) {
      if (started.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const kill = async () => {
    const current = child;
    child = undefined;
    if (!isRunning(current)) return;
    const exited = once(current, 'exit');
    current.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    url,
    port,
    async flush() {
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        await client.flushall();
      } finally {
        client.disconnect();
      }
    },
    kill,
    start,
    async restart() {
      await kill();
      await start();
    },
    stop: kill,
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { testEnv } from '@voiceassist/testkit/env';
import { freePort } from './built-services.js';

// A Redis of the test's own, on a private port, for tests that kill, restart or flush it (never
// the shared one). Nothing persists (`--save "" --appendonly no`): a restart comes back empty,
// as after a failover to a fresh replica. The same interface as the revocations branch's
// @voiceassist/testkit/redis-server, which can replace this file once merged.

const START_TIMEOUT_MS = 10_000;

export interface PrivateRedisServer {
  readonly url: string;
  readonly port: number;
  /** FLUSHALL on this server only. */
  flush(): Promise<void>;
  /** SIGKILL: connections drop at once, as when the host dies; `start()` brings it back empty on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One RESP command over a fresh connection: a simple reply's line (`+OK`, `-ERR …`, `:1`) or a bulk reply's text. */
function sendCommand(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = Buffer.alloc(0);
    socket.setTimeout(2_000, () => socket.destroy(new Error(`Redis on ${port} did not answer ${args[0]}`)));
    socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      const end = reply.indexOf('\r\n');
      if (end < 0) return;
      const line = reply.subarray(0, end).toString();
      if (!line.startsWith('$')) {
        socket.end();
        return resolve(line);
      }
      const length = Number(line.slice(1));
      if (reply.length < end + 2 + length) return;
      socket.end();
      resolve(reply.subarray(end + 2, end + 2 + length).toString());
    });
    socket.on('error', reject);
  });
}

export async function startPrivateRedisServer(): Promise<PrivateRedisServer> {
  let port = await freePort();
  let child: ChildProcess | undefined;

  async function start() {
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      env: { PATH: testEnv.PATH },
      stdio: 'ignore',
    });
    child = started;
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${started.exitCode}`);
      try {
        // Ours, not another test's server that holds the port (ours then exits).
        if ((await sendCommand(port, ['INFO', 'server'])).includes(`process_id:${started.pid}\r\n`)) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not answer within ${START_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function kill() {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  // The port was free a moment ago; if something took it meanwhile, try another once.
  await start().catch(async () => {
    port = await freePort();
    await start();
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async flush() {
      const reply = await sendCommand(port, ['FLUSHALL']);
      if (reply !== '+OK') throw new Error(`FLUSHALL answered ${reply}`);
    },
    kill,
    start,
    stop: kill,
  };
}

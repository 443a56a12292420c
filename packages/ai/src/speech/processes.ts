import { spawn } from 'node:child_process';
import { providerUnavailable } from '@voiceassist/errors';

/** An engine we run as a child process, and where to get it when it is missing. */
export interface EngineBinary {
  /** Command name or absolute path. */
  command: string;
  /** The Debian package that provides it, named in the error when it is missing. */
  debianPackage: string;
  /** The env variable that overrides the path. */
  envVariable: string;
}

export interface ProcessResult {
  stdout: Buffer;
  /** Bounded; may hold engine diagnostics but never our input (we pass input on stdin only). */
  stderr: string;
}

export class ProcessFailedError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command} exited with ${exitCode ?? 'a signal'}`);
    this.name = 'ProcessFailedError';
  }
}

export function engineMissing(binary: EngineBinary) {
  return providerUnavailable(
    `Speech engine "${binary.command}" is not available: install the Debian package ${binary.debianPackage} ` +
      `(apt-get install -y ${binary.debianPackage}) or set ${binary.envVariable}`,
  );
}

/** A counting semaphore: speech engines are CPU-bound, so we run only so many at once. */
export function createConcurrencyLimit(max: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async function limit<T>(task: () => Promise<T>): Promise<T> {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}
export type ConcurrencyLimit = ReturnType<typeof createConcurrencyLimit>;

const MAX_STDERR = 8_192;

/**
 * Runs an engine with `input` on stdin (text and audio never appear in argv, so never in
 * process listings) and collects stdout. A missing or non-executable binary becomes
 * PROVIDER_UNAVAILABLE naming the package; a non-zero exit becomes ProcessFailedError.
 */
export function runProcess(
  binary: EngineBinary,
  args: string[],
  options: { input?: Buffer | string; timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(binary.command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: options.timeoutMs, killSignal: 'SIGKILL', ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      reject(spawnError(binary, error));
      return;
    }
    const stdout: Buffer[] = [];
    let stderr = '';
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8').slice(0, MAX_STDERR - stderr.length);
    });
    child.on('error', (error) => settle(() => reject(spawnError(binary, error))));
    child.on('close', (code, signal) => {
      settle(() => {
        if (code === 0) resolve({ stdout: Buffer.concat(stdout), stderr });
        else if (signal === 'SIGKILL' && !options.signal?.aborted) reject(providerUnavailable(`Speech engine "${binary.command}" timed out after ${options.timeoutMs} ms`));
        else reject(new ProcessFailedError(binary.command, code, stderr));
      });
    });
    // The engine may exit before reading all input (bad audio): ignore EPIPE, the exit code tells.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

function spawnError(binary: EngineBinary, error: unknown) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR') return engineMissing(binary);
  return error;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@voiceassist/testkit/database';
import { testEnv } from '@voiceassist/testkit/env';
import { graphqlRequest } from '@voiceassist/testkit/graphql-client';
import { buildService, serviceFolders } from './index.js';

// What production runs: every service built by `pnpm build` and started by plain node (no
// tsx), each in its own process, talking over HTTP. Built into a temporary folder, so the test
// checks the build as well as the code, and leaves the working tree's dist/ alone.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'voiceassist-built-'));
const children: ChildProcess[] = [];
let database: TestDatabase;
let routerUrl: string;

/** Starts a built service and resolves with the URL its "listening" log line names. */
function start(folder: string, env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [join(outDir, folder, 'index.js')], {
    cwd: join(root, folder),
    env: { PATH: testEnv.PATH, NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: join(outDir, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${folder} exited with ${code}: ${stderr.join('').slice(-2000)}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return; // not a log line
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg?.endsWith('listening') && entry.url) resolve(entry.url.replace(/\/graphql$/, ''));
    });
  });
}

beforeAll(async () => {
  const folders = serviceFolders(root);
  await Promise.all(folders.map((folder) => buildService({ entry: join(root, folder, 'src', 'index.ts'), outfile: join(outDir, folder, 'index.js') })));
  database = await createTestDatabase();
  const infra = { ...(database.url ? { DATABASE_URL: database.url } : {}), ...(testEnv.REDIS_URL ? { REDIS_URL: testEnv.REDIS_URL } : {}) };
  const subgraphs = folders.filter((folder) => folder !== 'router').map((folder) => folder.split('/')[1]!);
  // Identity first: the others verify tokens with its JWKS.
  const identityUrl = await start('subgraphs/identity', { ...infra, IDENTITY_PORT: '0' });
  const jwks = { JWKS_URL: `${identityUrl}/.well-known/jwks.json` };
  const urls: Record<string, string> = { identity: identityUrl };
  await Promise.all(
    subgraphs
      .filter((name) => name !== 'identity')
      .map(async (name) => (urls[name] = await start(`subgraphs/${name}`, { ...infra, ...jwks, [`${name.toUpperCase()}_PORT`]: '0' }))),
  );
  const subgraphUrls = Object.fromEntries(subgraphs.map((name) => [`${name.toUpperCase()}_URL`, `${urls[name]}/graphql`]));
  routerUrl = await start('router', { ...infra, ...jwks, ...subgraphUrls, ROUTER_PORT: '0' });
}, 120_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.removeAllListeners('exit');
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await database?.drop();
  rmSync(outDir, { recursive: true, force: true });
});

describe('services built for production', () => {
  it('start with plain node, and the router finds every subgraph ready', async () => {
    const response = await fetch(`${routerUrl}/ready`);
    const body = (await response.json()) as { status: string; subgraphs: Record<string, string> };
    expect(body.subgraphs).toEqual({ identity: 'ok', conversation: 'ok', knowledge: 'ok', voice: 'ok', flags: 'ok' });
    expect(response.status).toBe(200);
  });

  it('register a user and answer who they are through the router', async () => {
    const registered = await graphqlRequest<{ register: { accessToken: string; user: { email: string } } }>(
      `${routerUrl}/graphql`,
      'mutation ($input: RegisterInput!) { register(input: $input) { accessToken user { email } } }',
      { input: { email: 'built@example.com', password: 'correct horse battery staple', displayName: 'Built' } },
    );
    expect(registered.body.errors).toBeUndefined();
    const me = await graphqlRequest<{ me: { email: string } }>(`${routerUrl}/graphql`, '{ me { email } }', {}, { token: registered.body.data!.register.accessToken });
    expect(me.body.data?.me.email).toBe('built@example.com');
  });
});

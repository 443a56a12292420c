import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';

// A few thousand malformed and hostile requests against the real router and identity subgraph:
// none may produce a 5xx or take the router down, and every one must get a coded error.
const REGISTRY = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMITED']);

let supergraph: TestSupergraph;
beforeAll(async () => {
  supergraph = await startSupergraph({ subgraphs: ['identity'] });
});
afterAll(() => supergraph?.stop());

/** Deterministic, so a failure reproduces. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

type Case = { name: string; body: Buffer | string; contentType?: string };

function generate(count: number): Case[] {
  const random = prng(20261121);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const json = (query: string, variables?: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ query, variables, ...extra });
  const generators: Array<() => Case> = [
    () => ({ name: 'deep nesting', body: json(`{ ${'me { '.repeat(int(5, 400))}id${' }'.repeat(int(0, 400))} }`) }),
    () => ({ name: 'alias bomb', body: json(`{ ${Array.from({ length: int(31, 2000) }, (_, i) => `a${i}: me { id }`).join(' ')} }`) }),
    () => ({ name: 'huge string', body: json('mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', { e: 'x'.repeat(int(1, 400_000)), p: 'y'.repeat(int(1, 100_000)) }) }),
    () => {
      const bytes = Buffer.from(json('{ me { id } }'));
      for (let i = 0; i < int(1, 20); i++) bytes[int(0, bytes.length - 1)] = int(0x80, 0xff);
      return { name: 'invalid UTF-8', body: bytes };
    },
    () => ({ name: 'wrong variable types', body: json('query U($id: ID!, $n: Int) { user(id: $id) { id } users(first: $n) { edges { node { id } } } }', pick([{ id: { a: 1 } }, { id: [1, 2] }, { id: '1', n: 'many' }, { id: '1', n: 2 ** 40 }, {}])) }),
    () => ({ name: 'unknown field', body: json(`{ ${pick(['nope', 'me { password }', 'users { edges { secret } }', '__typename @nope'])} }`) }),
    () => {
      const valid = json('{ me { id } }');
      return { name: 'broken JSON', body: valid.slice(0, int(0, valid.length - 1)) + pick(['', '}', ',', '"', '\\', '{"']) };
    },
    () => ({ name: 'not an operation', body: JSON.stringify(pick([null, 1, 'query', [], {}, { query: 1 }, { query: '' }, { query: '{ me { id } }', variables: 'x' }, { query: '{ me { id } }', operationName: 'Missing' }])) }),
    () => ({ name: 'syntax garbage', body: json(Array.from({ length: int(1, 200) }, () => pick(['{', '}', '(', ')', '...', '$', '@', 'query', ':', '"', '#', '!', '[', ']'])).join(' ')) }),
    () => ({ name: 'fragment cycle', body: json('{ me { ...A } } fragment A on User { id ...B } fragment B on User { ...A }') }),
    () => ({ name: 'directive flood', body: json(`{ me ${'@include(if: true) '.repeat(int(51, 500))} { id } }`) }),
    () => ({ name: 'token flood', body: json(`{ ${'__typename '.repeat(int(5_001, 20_000))} }`) }),
    () => ({ name: 'anonymous mutation', body: json(pick(['mutation { logoutEverywhere }', 'mutation { deleteUser(id: "1") }', 'mutation { updateUser(id: "1", input: { role: SUPERADMIN }) { id } }'])) }),
    () => ({ name: 'bad input values', body: json('mutation R($i: RegisterInput!) { register(input: $i) { accessToken } }', { i: pick([{ email: 'not-an-email', password: 'short', displayName: '' }, { email: `${'a'.repeat(300)}@x.io`, password: 'p'.repeat(5000), displayName: 'x' }, { email: 'a@b.c' }]) }) }),
    () => ({ name: 'simple content type', body: json('{ me { id } }'), contentType: pick(['text/plain', 'application/x-www-form-urlencoded']) }),
  ];
  return Array.from({ length: count }, (_, i) => generators[i % generators.length]!());
}

function post(url: string, item: Case): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': item.contentType ?? 'application/json', accept: 'application/graphql-response+json, application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(item.body);
  });
}

describe('fuzzing the router', () => {
  it('answers every malformed or hostile request with a coded error and never a 5xx', { timeout: 180_000 }, async () => {
    const cases = generate(3_000);
    const failures: string[] = [];
    const codes = new Map<string, number>();
    for (let i = 0; i < cases.length; i += 20) {
      await Promise.all(
        cases.slice(i, i + 20).map(async (item) => {
          const { status, body } = await post(supergraph.graphqlUrl, item);
          let code: unknown;
          try {
            code = (JSON.parse(body) as { errors?: Array<{ extensions?: { code?: unknown } }> }).errors?.[0]?.extensions?.code;
          } catch {
            code = undefined;
          }
          codes.set(`${item.name}: ${String(code)}`, (codes.get(`${item.name}: ${String(code)}`) ?? 0) + 1);
          if (status >= 500 || typeof code !== 'string' || !REGISTRY.has(code)) failures.push(`${item.name} [${String(item.body).slice(0, 60)}] → ${status} ${body.slice(0, 160)}`);
        }),
      );
    }
    expect(failures.slice(0, 10)).toEqual([]);
    // The router is still serving.
    expect((await fetch(`${supergraph.routerUrl}/health`)).status).toBe(200);
    expect((await supergraph.request('{ me { id } }')).body).toEqual({ data: { me: null } });
    expect(codes.size).toBeGreaterThan(10);
  });
});

import { createServer, request, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { ApolloServer } from '@apollo/server';
import { listenHttp } from '@voiceassist/http-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleGraphQLRequest, type OperationRequest } from './index.js';

// A real Apollo Server on node:http through the handler, as the router and the subgraphs run it.
const apollo = new ApolloServer({
  typeDefs: 'type Query { hello(name: String): String, long: String }',
  // As the router runs it: batches allowed by Apollo, bounded by the handler's maxBatchSize.
  allowBatchedHttpRequests: true,
  resolvers: { Query: { hello: (_: unknown, { name }: { name?: string }) => `hello ${name ?? 'world'}`, long: () => 'x'.repeat(4096) } },
});
const inspected: OperationRequest[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  await apollo.start();
  server = createServer((req, res) => {
    void handleGraphQLRequest(req, res, {
      server: apollo,
      context: async () => ({}),
      bodyLimitBytes: 2048,
      maxBatchSize: 2,
      compress: true,
      inspect: (operation) => {
        inspected.push(operation);
        if (operation.documentId === 'known') return { ok: true, query: '{ hello(name: "by id") }' };
        if (operation.documentId) return { ok: false, status: 400, error: { message: 'Unknown document', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } } };
        return { ok: true };
      },
    });
  });
  url = `${(await listenHttp(server, 0, '127.0.0.1')).url}/graphql`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await apollo.stop();
});

/** The first error's extensions of a JSON error response. */
const firstErrorExtensions = async (response: Response) => ((await response.json()) as { errors: Array<{ extensions: Record<string, unknown> }> }).errors[0]!.extensions;

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('handleGraphQLRequest', () => {
  it('answers a POSTed operation and a GET one alike', async () => {
    expect(await (await post({ query: '{ hello(name: "post") }' })).json()).toEqual({ data: { hello: 'hello post' } });
    const get = await fetch(`${url}?query=${encodeURIComponent('{ hello }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(await get.json()).toEqual({ data: { hello: 'hello world' } });
  });

  it('refuses a body over the limit with 413 before reading it, naming the field', async () => {
    const response = await post({ query: `{ hello(name: "${'a'.repeat(4096)}") }` });
    expect(response.status).toBe(413);
    expect(await firstErrorExtensions(response)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body', limit: 'bodySize' });
  });

  it('answers a body that is not JSON with 400 BAD_USER_INPUT', async () => {
    const response = await post('{ nope');
    expect(response.status).toBe(400);
    expect(await firstErrorExtensions(response)).toEqual({ code: 'BAD_USER_INPUT', field: 'body' });
  });

  it('runs a batch within maxBatchSize and refuses a larger one', async () => {
    expect(await (await post([{ query: '{ hello(name: "a") }' }, { query: '{ hello(name: "b") }' }])).json()).toEqual([{ data: { hello: 'hello a' } }, { data: { hello: 'hello b' } }]);
    const tooMany = await post([{ query: '{ hello }' }, { query: '{ hello }' }, { query: '{ hello }' }]);
    expect(tooMany.status).toBe(400);
    expect(await firstErrorExtensions(tooMany)).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'batch', max: 2 });
  });

  it('replaces a document id the inspector resolves, and answers its refusal as is', async () => {
    expect(await (await post({ documentId: 'known' })).json()).toEqual({ data: { hello: 'hello by id' } });
    const apq = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'unknown' } } });
    expect(apq.status).toBe(400);
    expect((await firstErrorExtensions(apq)).code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(inspected.find((operation) => operation.documentId === 'unknown')).toMatchObject({ persistedQuery: true });
  });

  it('answers a document that fails validation 200 in application/json and 400 in application/graphql-response+json', async () => {
    const legacy = await post({ query: '{ nope }' });
    expect(legacy.status).toBe(200);
    expect((await firstErrorExtensions(legacy)).code).toBe('GRAPHQL_VALIDATION_FAILED');
    const modern = await post({ query: '{ nope }' }, { accept: 'application/graphql-response+json' });
    expect(modern.status).toBe(400);
  });

  it('compresses an answer over 1 KiB for a client that accepts gzip, and leaves a small one alone', async () => {
    // fetch would decompress on its own: read the bytes as sent.
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ query: '{ long }' }));
    });
    expect(raw.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(raw.body).toString('utf8'))).toEqual({ data: { long: 'x'.repeat(4096) } });
    const small = await post({ query: '{ hello }' }, { 'accept-encoding': 'gzip' });
    expect(small.headers.get('content-encoding')).toBeNull();
  });
});

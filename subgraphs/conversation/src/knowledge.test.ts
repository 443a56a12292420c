import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@voiceassist/logging';
import { createKnowledgeSearch } from './knowledge.js';

// The knowledge subgraph as conversation calls it: searched as the caller, and never a reason
// for a reply to fail.

let server: Server;
let url: string;
let answer: (req: IncomingMessage, body: string) => { status: number; body: unknown; delayMs?: number };
const seen: Array<{ headers: IncomingMessage['headers']; body: { query: string; variables: Record<string, unknown> } }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: JSON.parse(raw) as (typeof seen)[number]['body'] });
      const { status, body, delayMs = 0 } = answer(req, raw);
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const logger = createLogger({ service: 'test', level: 'silent' });
const caller = { authorization: 'Bearer caller-token', requestId: 'req-1' };

describe('knowledge search', () => {
  it('asks with the caller’s credentials and turns hits into whole passages, best first, each once', async () => {
    answer = () => ({
      status: 200,
      body: {
        data: {
          search: [
            { score: 0.9, citation: { id: 'c1', content: 'Thiazides lower blood pressure.', document: { title: 'Hypertension guideline' } } },
            { score: 0.5, citation: { id: 'c2', content: 'ACE inhibitors too.', document: null } },
            // The same passage twice would shift every later [n] off its citation.
            { score: 0.4, citation: { id: 'c1', content: 'Thiazides lower blood pressure.', document: { title: 'Hypertension guideline' } } },
          ],
        },
      },
    });
    const search = createKnowledgeSearch({ url, timeoutMs: 2_000, limit: 4, logger });
    expect(await search.search('hypertension treatment', caller)).toEqual([
      { id: 'c1', text: 'Thiazides lower blood pressure.', title: 'Hypertension guideline' },
      { id: 'c2', text: 'ACE inhibitors too.', title: undefined },
    ]);
    const request = seen.at(-1)!;
    expect(request.headers.authorization).toBe('Bearer caller-token');
    expect(request.headers['x-request-id']).toBe('req-1');
    expect(request.body.variables).toEqual({ query: 'hypertension treatment', limit: 4 });
  });

  it('gives no passages, without failing, when knowledge refuses, is slow, is down or is absent', async () => {
    answer = () => ({ status: 200, body: { data: null, errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] } });
    const search = createKnowledgeSearch({ url, timeoutMs: 300, limit: 4, logger });
    expect(await search.search('q', caller)).toEqual([]);

    answer = () => ({ status: 200, body: { data: { search: [] } }, delayMs: 2_000 });
    expect(await search.search('q', caller)).toEqual([]);

    answer = () => ({ status: 502, body: 'not json' });
    expect(await search.search('q', caller)).toEqual([]);

    const down = createKnowledgeSearch({ url: 'http://127.0.0.1:9/graphql', timeoutMs: 2_000, limit: 4, logger });
    expect(await down.search('q', caller)).toEqual([]);

    const absent = createKnowledgeSearch({ url: undefined, timeoutMs: 2_000, limit: 4, logger });
    expect(await absent.search('q', caller)).toEqual([]);
    // Without credentials there is nobody to search as.
    const before = seen.length;
    expect(await search.search('q', { authorization: undefined, requestId: 'r' })).toEqual([]);
    expect(seen.length).toBe(before);
  });
});

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf, errorOf } from '@voiceassist/testkit/graphql-client';

// Cached search through the real router: PGlite and in-process pub/sub, or PostgreSQL and Redis
// when CI sets them. A repeated search is answered from the cache; a deleted document is never.
const PASSWORD = 'amber lantern meadow';
let supergraph: TestSupergraph;
/** The first account is the deployment's SUPERADMIN: it adds and deletes documents here. */
let librarian: string;
let clinician: string;
let observer: string;

const call = <T>(query: string, variables: Record<string, unknown>, token: string) => supergraph.request<T>(query, variables, { token });

async function signUp(label: string, role?: string): Promise<string> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const registered = dataOf(
    await supergraph.request<{ register: { accessToken: string; user: { id: string } } }>('mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }', {
      i: { email, password: PASSWORD, displayName: label },
    }),
  ).register;
  if (!role) return registered.accessToken;
  dataOf(await call('mutation($id: ID!, $r: Role!) { updateUser(id: $id, input: { role: $r }) { id } }', { id: registered.user.id, r: role }, librarian));
  return dataOf(await supergraph.request<{ login: { accessToken: string } }>('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }', { e: email, p: PASSWORD })).login
    .accessToken;
}

async function addDocument(title: string, text: string): Promise<string> {
  const { id } = dataOf(await call<{ ingestDocument: { id: string } }>('mutation($i: IngestDocumentInput!) { ingestDocument(input: $i) { id } }', { i: { title, mimeType: 'text/plain', text } }, librarian))
    .ingestDocument;
  // Indexed in the background (expect.poll is for tests, not hooks).
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
    const { document } = dataOf(await call<{ document: { status: string } }>('query($id: ID!) { document(id: $id) { status } }', { id }, librarian));
    if (document.status === 'READY') return id;
  }
  throw new Error(`${title} was not indexed within a minute`);
}

type Hits = { search: Array<{ citation: { document: { id: string; title: string } } }> };
const searchDocuments = async (query: string, mode = 'HYBRID') =>
  dataOf(await call<Hits>('query($q: String!, $m: SearchMode) { search(query: $q, mode: $m) { citation { document { id title } } } }', { q: query, m: mode }, clinician)).search.map((hit) => hit.citation.document);
const searchTitles = async (query: string) => (await searchDocuments(query)).map((document) => document.title).sort();

async function searchLookups(): Promise<Record<string, number>> {
  const metric = await supergraph.subgraphs.knowledge!.service.server.metrics.registry.getSingleMetric('knowledge_cache_lookups_total')!.get();
  return Object.fromEntries(metric.values.filter(({ labels }) => labels.cache === 'search').map(({ labels, value }) => [String(labels.result), value]));
}

beforeAll(async () => {
  supergraph = await startSupergraph({ subgraphs: ['identity', 'knowledge'], env: { identity: { AUTH_THROTTLE_PER_MINUTE: '10000' } } });
  librarian = await signUp('librarian');
  clinician = await signUp('clinician');
  observer = await signUp('observer', 'VIEWER');
  await addDocument('Sepsis bundle', 'Sepsis: take blood cultures, give broad-spectrum antibiotics within one hour and measure lactate.');
  await addDocument('Meningitis', 'Suspected bacterial meningitis: give ceftriaxone within one hour; take blood cultures first if no delay.');
}, 180_000);

afterAll(async () => {
  await supergraph?.stop();
});

describe('search cache through the router', () => {
  it('answers a repeated search from the cache, only to those allowed to search, and never with a deleted document', async () => {
    const question = 'antibiotics within one hour blood cultures';
    const before = await searchLookups();
    expect(await searchTitles(question)).toEqual(['Meningitis', 'Sepsis bundle']);
    expect(await searchTitles(question)).toEqual(['Meningitis', 'Sepsis bundle']);
    const repeated = await searchLookups();
    expect((repeated.memory_hit ?? 0) - (before.memory_hit ?? 0)).toBe(1);

    // Cached or not, a VIEWER may not search.
    expect(errorOf(await call('query($q: String!) { search(query: $q) { score } }', { q: question }, observer)).code).toBe('FORBIDDEN');

    const [meningitis] = await searchDocuments('meningitis ceftriaxone', 'KEYWORD');
    expect(meningitis?.title).toBe('Meningitis');
    expect(dataOf(await call<{ deleteDocument: boolean }>('mutation($id: ID!) { deleteDocument(id: $id) }', { id: meningitis!.id }, librarian)).deleteDocument).toBe(true);
    expect(await searchTitles(question)).toEqual(['Sepsis bundle']);
    expect(await searchDocuments('meningitis ceftriaxone', 'KEYWORD')).toEqual([]);
    const after = await searchLookups();
    expect((after.miss ?? 0) - (repeated.miss ?? 0)).toBe(3);
  });
});

import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf, errorOf, graphqlRequest } from '@voiceassist/testkit/graphql-client';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import '@voiceassist/testkit/openai-server/embeddings';
import { makePdf } from '@voiceassist/knowledge/testing/pdf';

// The knowledge subgraph behind the real router, over real HTTP and WebSocket: PGlite (pgvector)
// in memory, or a fresh PostgreSQL database (exact scan) and Redis when CI sets them. Embeddings
// come from the test kit's OpenAI-compatible server, slowed down a little so that indexing is
// observable over the subscription.
const PASSWORD = 'violet kettle harbour';
let supergraph: TestSupergraph;
let fake: FakeOpenAIServer;
let superadmin: Account;
let admin: Account;
let user: Account;
let viewer: Account;

interface Account {
  id: string;
  email: string;
  accessToken: string;
  refreshToken: string;
}
interface DocumentView {
  id: string;
  title: string;
  source: string | null;
  mimeType: string;
  status: string;
  chunkCount: number;
  error: string | null;
  progress: number;
  indexedChunks: number;
  totalChunks: number;
  pageCount: number | null;
  needsReindex: boolean;
  embeddingModel: string | null;
}
interface HitView {
  score: number;
  citation: { id: string; snippet: string; score: number; content: string; heading: string | null; page: number | null; document: { id: string; title: string } };
}

const DOCUMENT_FIELDS = 'id title source mimeType status chunkCount error progress indexedChunks totalChunks pageCount needsReindex embeddingModel';
const HIT_FIELDS = 'score citation { id snippet score content heading page document { id title } }';

const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, token?: string) =>
  supergraph.request<T>(query, variables, { token });


async function register(label: string): Promise<Account> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const { register } = dataOf(
    await gql<{ register: { accessToken: string; refreshToken: string; user: { id: string } } }>(
      'mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken user { id } } }',
      { input: { email, password: PASSWORD, displayName: label } },
    ),
  );
  return { id: register.user.id, email, accessToken: register.accessToken, refreshToken: register.refreshToken };
}

/** Gives the account a role and signs it in again, so its token carries the role. */
async function withRole(account: Account, role: string): Promise<Account> {
  dataOf(await gql('mutation($id: ID!, $input: AdminUpdateUserInput!) { updateUser(id: $id, input: $input) { id } }', { id: account.id, input: { role } }, superadmin.accessToken));
  const { login } = dataOf(
    await gql<{ login: { accessToken: string; refreshToken: string } }>('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }', { e: account.email, p: PASSWORD }),
  );
  return { ...account, ...login };
}

const ingest = (input: Record<string, unknown>, token = admin.accessToken) =>
  gql<{ ingestDocument: DocumentView }>(`mutation($input: IngestDocumentInput!) { ingestDocument(input: $input) { ${DOCUMENT_FIELDS} } }`, { input }, token);

const search = (query: string, mode: string, limit = 5, token = user.accessToken) =>
  gql<{ search: HitView[] }>(`query($q: String!, $m: SearchMode, $l: Int) { search(query: $q, mode: $m, limit: $l) { ${HIT_FIELDS} } }`, { q: query, m: mode, l: limit }, token);

const documentById = async (id: string, token = user.accessToken) =>
  dataOf(await gql<{ document: DocumentView | null }>(`query($id: ID!) { document(id: $id) { ${DOCUMENT_FIELDS} } }`, { id }, token)).document;

function wsClient(token?: string): Client {
  return createClient({ url: supergraph.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, ...(token ? { connectionParams: { authorization: `Bearer ${token}` } } : {}) });
}

type StatusEvent = { data?: { documentStatus: DocumentView } | null; errors?: readonly unknown[] };

/** Events of documentStatus(id) until `until` says stop (or the subscription ends). */
function watch(client: Client, id: string, until: (document: DocumentView) => boolean): Promise<{ events: StatusEvent[]; completed: boolean }> {
  return new Promise((resolve, reject) => {
    const events: StatusEvent[] = [];
    const stop = client.subscribe<{ documentStatus: DocumentView }>(
      { query: `subscription($id: ID!) { documentStatus(id: $id) { ${DOCUMENT_FIELDS} } }`, variables: { id } },
      {
        next: (event) => {
          events.push(event);
          if (event.errors || (event.data && until(event.data.documentStatus))) {
            stop();
            resolve({ events, completed: false });
          }
        },
        error: (error) => (events.length ? resolve({ events, completed: false }) : reject(error instanceof Error ? error : new Error(JSON.stringify(error)))),
        complete: () => resolve({ events, completed: true }),
      },
    );
  });
}

const settled = (document: DocumentView) => document.status === 'READY' || document.status === 'FAILED';

async function ingestAndWait(input: Record<string, unknown>): Promise<{ document: DocumentView; statuses: DocumentView[] }> {
  // Embedding waits until the subscription has its first event, so however slow the machine,
  // the watcher is live before the document can be READY and sees it go through INDEXING.
  let release = () => {};
  fake.behaviour.embeddingsHold = new Promise<void>((resolve) => (release = resolve));
  const client = wsClient(admin.accessToken);
  try {
    const { ingestDocument } = dataOf(await ingest(input));
    const { events } = await watch(client, ingestDocument.id, (document) => {
      release();
      return settled(document);
    });
    const statuses = events.map((event) => event.data!.documentStatus);
    return { document: statuses.at(-1)!, statuses: [ingestDocument, ...statuses] };
  } finally {
    release();
    delete fake.behaviour.embeddingsHold;
    await client.dispose();
  }
}

beforeAll(async () => {
  fake = await startFakeOpenAIServer({ embeddingsDelayMs: 100 });
  supergraph = await startSupergraph({
    subgraphs: ['identity', 'knowledge'],
    env: {
      identity: { AUTH_THROTTLE_PER_MINUTE: '10000' },
      knowledge: { OPENAI_BASE_URL: fake.baseUrl, OPENAI_EMBEDDING_MODEL: 'text-embedding-3-small', OPENAI_EMBEDDING_DIMENSION: '128', KNOWLEDGE_CHUNK_CHARS: '300', KNOWLEDGE_CHUNK_OVERLAP_CHARS: '60' },
    },
  });
  superadmin = await register('founder');
  admin = await withRole(await register('librarian'), 'ADMIN');
  user = await register('clinician');
  viewer = await withRole(await register('observer'), 'VIEWER');
});

afterAll(async () => {
  await supergraph?.stop();
  await fake?.close();
});

const longText = (topic: string, n: number) =>
  Array.from({ length: n }, (_, i) => `Section ${i} on ${topic}: check the patient, record the observations and review the plan within ${i + 2} hours.`).join('\n\n');

describe('ingestion of every format, watched over documentStatus through the router', () => {
  const fixtures: Array<[string, () => Promise<Record<string, unknown>>, string, (hit: HitView) => void]> = [
    ['text/plain', async () => ({ text: `Bronchiolitis in infants is managed supportively.\n\n${longText('bronchiolitis', 12)}` }), 'bronchiolitis supportive infants', () => {}],
    [
      'text/markdown',
      async () => ({ text: `# Croup\n\nA single dose of **oral dexamethasone** 0.15 mg/kg is given to children with croup.\n\n## Severe croup\n\nNebulised adrenaline buys time.` }),
      'dexamethasone croup',
      (hit) => expect(hit.citation.heading).toBe('Croup'),
    ],
    [
      'text/html',
      async () => ({ base64: Buffer.from('<html><body><h1>Gout</h1><p>Colchicine or an NSAID treats an acute gout flare.</p><script>track()</script></body></html>').toString('base64') }),
      'colchicine gout flare',
      (hit) => {
        expect(hit.citation.heading).toBe('Gout');
        expect(hit.citation.content).not.toContain('track');
      },
    ],
    [
      'application/pdf',
      async () => ({
        base64: Buffer.from(
          await makePdf([{ heading: 'Lithium', paragraphs: ['Lithium levels are checked 12 hours after the last dose.'] }, { heading: 'Toxicity', paragraphs: ['Coarse tremor and confusion suggest lithium toxicity.'] }]),
        ).toString('base64'),
      }),
      'coarse tremor lithium toxicity',
      (hit) => expect(hit.citation).toMatchObject({ page: 2, heading: 'Toxicity' }),
    ],
  ];

  it.each(fixtures)('%s: PENDING → INDEXING → READY, then found by search', async (mimeType, content, query, check) => {
    const title = `Fixture ${mimeType}`;
    const { document, statuses } = await ingestAndWait({ title, source: 'https://example.org/guideline', mimeType, ...(await content()) });
    expect(statuses[0]).toMatchObject({ status: 'PENDING', chunkCount: 0, progress: 0, mimeType, title, source: 'https://example.org/guideline' });
    expect(document).toMatchObject({ status: 'READY', error: null, progress: 1, needsReindex: false, embeddingModel: 'text-embedding-3-small' });
    expect(document.chunkCount).toBeGreaterThan(0);
    expect(document.indexedChunks).toBe(document.chunkCount);
    // Statuses only move forward, and progress never goes back while indexing.
    const order = ['PENDING', 'INDEXING', 'READY'];
    const seen = statuses.map((s) => order.indexOf(s.status));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(statuses.some((s) => s.status === 'INDEXING')).toBe(true);
    const progress = statuses.filter((s) => s.status === 'INDEXING').map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    if (mimeType === 'application/pdf') expect(document.pageCount).toBe(2);

    const hits = dataOf(await search(query, 'KEYWORD')).search;
    expect(hits[0]!.citation.document).toEqual({ id: document.id, title });
    check(hits[0]!);
  });

  it('reports progress while a long document is embedded', async () => {
    // About 200 passages: seven embedding requests of at least 100 ms each, progress every 200 ms.
    const { statuses, document } = await ingestAndWait({ title: 'Long pathway', mimeType: 'text/plain', text: longText('long pathway', 400) });
    expect(document.status).toBe('READY');
    const partial = statuses.filter((s) => s.status === 'INDEXING' && s.progress > 0 && s.progress < 1);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.every((s) => s.totalChunks === document.chunkCount && s.indexedChunks < s.totalChunks)).toBe(true);
  });
});

describe('search', () => {
  let sepsisId: string;
  beforeAll(async () => {
    const { document } = await ingestAndWait({
      title: 'Sepsis pathway',
      mimeType: 'text/markdown',
      text: '# Sepsis\n\nGive broad-spectrum antibiotics within one hour of recognising septic shock.\n\n## Fluids\n\nGive 30 mL/kg of crystalloid for hypotension or a lactate of 4 mmol/L or more.',
    });
    sepsisId = document.id;
  });

  it.each(['KEYWORD', 'SEMANTIC', 'HYBRID'])('%s finds the passage and highlights the matching words', async (mode) => {
    const hits = dataOf(await search('antibiotics septic shock', mode, 3)).search;
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThanOrEqual(3);
    const top = hits[0]!;
    expect(top.citation).toMatchObject({ document: { id: sepsisId, title: 'Sepsis pathway' }, heading: 'Sepsis' });
    expect(top.citation.snippet).toContain('**antibiotics**');
    expect(top.citation.score).toBe(top.score);
    expect(top.score).toBeGreaterThan(0);
    const scores = hits.map((hit) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('defaults to HYBRID with 5 results', async () => {
    const { search: hits } = dataOf(await gql<{ search: HitView[] }>(`{ search(query: "crystalloid hypotension") { ${HIT_FIELDS} } }`, {}, user.accessToken));
    expect(hits.length).toBeLessThanOrEqual(5);
    expect(hits[0]!.citation.heading).toBe('Sepsis > Fluids');
  });

  it.each([
    ['', 5, 'query'],
    ['x'.repeat(1001), 5, 'query'],
    ['sepsis', 0, 'limit'],
    ['sepsis', 51, 'limit'],
  ])('refuses query %j with limit %i naming the field', async (query, limit, field) => {
    expect(errorOf(await search(query, 'HYBRID', limit)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('lists documents newest first, by status, a page at a time', async () => {
    type Page = { documents: { edges: Array<{ cursor: string; node: { id: string; status: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
    const query = 'query($first: Int, $after: String, $status: DocumentStatus) { documents(first: $first, after: $after, status: $status) { edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } }';
    const first = dataOf(await gql<Page>(query, { first: 2, status: 'READY' }, user.accessToken)).documents;
    expect(first.edges).toHaveLength(2);
    expect(first.edges[0]!.node.id).toBe(sepsisId);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = dataOf(await gql<Page>(query, { first: 100, after: first.pageInfo.endCursor, status: 'READY' }, user.accessToken)).documents;
    const ids = [...first.edges, ...rest.edges].map((edge) => edge.node.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(rest.edges.every((edge) => edge.node.status === 'READY')).toBe(true);
    expect(errorOf(await gql(query, { after: 'bogus' }, user.accessToken)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('resolves citations and documents by reference (as the router does for other subgraphs), in batches', async () => {
    const hits = dataOf(await search('antibiotics septic shock', 'KEYWORD', 2)).search;
    const representations = [...hits.map((hit) => ({ __typename: 'Citation', id: hit.citation.id })), { __typename: 'Citation', id: randomUUID() }, { __typename: 'Document', id: sepsisId }];
    const { body } = await graphqlRequest<{ _entities: Array<Record<string, unknown> | null> }>(
      `${supergraph.subgraphs.knowledge!.url}/graphql`,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Citation { id snippet score content document { id } } ... on Document { id status } } }',
      { r: representations },
      { token: user.accessToken },
    );
    expect(body.errors).toBeUndefined();
    const entities = body.data!._entities;
    expect(entities[0]).toMatchObject({ id: hits[0]!.citation.id, score: 0, document: { id: sepsisId } });
    // Without a query there is nothing to highlight: the passage's opening.
    expect(entities[0]!.snippet).toBe(hits[0]!.citation.content.slice(0, (entities[0]!.snippet as string).length));
    expect(entities.at(-2)).toBeNull();
    expect(entities.at(-1)).toEqual({ id: sepsisId, status: 'READY' });
  });
});

describe('reindex and delete', () => {
  it('reindexDocument re-embeds: PENDING, then READY with new passages', async () => {
    const { document } = await ingestAndWait({ title: 'Reindexed', mimeType: 'text/plain', text: 'Hyponatraemia is corrected slowly to avoid osmotic demyelination.' });
    const before = dataOf(await search('osmotic demyelination', 'KEYWORD')).search[0]!.citation.id;
    const { reindexDocument } = dataOf(await gql<{ reindexDocument: DocumentView }>(`mutation($id: ID!) { reindexDocument(id: $id) { ${DOCUMENT_FIELDS} } }`, { id: document.id }, admin.accessToken));
    expect(reindexDocument).toMatchObject({ id: document.id, status: 'PENDING', chunkCount: 1 });
    await expect.poll(async () => (await documentById(document.id))?.status, { timeout: 20_000 }).toBe('READY');
    const after = dataOf(await search('osmotic demyelination', 'KEYWORD')).search[0]!.citation;
    expect(after.document.id).toBe(document.id);
    expect(after.id).not.toBe(before);
  });

  it('deleteDocument removes it from reads and every search mode, and ends its status subscription', async () => {
    const { document } = await ingestAndWait({ title: 'Doomed', mimeType: 'text/plain', text: 'Phaeochromocytoma needs alpha blockade before surgery.' });
    const client = wsClient(user.accessToken);
    const watching = watch(client, document.id, () => false);
    await expect.poll(async () => (await documentById(document.id))?.status).toBe('READY');
    // The first event (the document as it is) proves the subscription is live before deleting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(dataOf(await gql<{ deleteDocument: boolean }>('mutation($id: ID!) { deleteDocument(id: $id) }', { id: document.id }, admin.accessToken)).deleteDocument).toBe(true);
    const { events, completed } = await watching;
    await client.dispose();
    expect(completed).toBe(true);
    expect(events[0]?.data?.documentStatus.status).toBe('READY');
    expect(await documentById(document.id)).toBeNull();
    for (const mode of ['KEYWORD', 'SEMANTIC', 'HYBRID']) {
      expect(dataOf(await search('phaeochromocytoma alpha blockade', mode, 50)).search.some((hit) => hit.citation.document.id === document.id)).toBe(false);
    }
    expect(errorOf(await gql('mutation($id: ID!) { deleteDocument(id: $id) }', { id: document.id }, admin.accessToken)).extensions).toMatchObject({ code: 'NOT_FOUND' });
    expect(errorOf(await gql('mutation($id: ID!) { reindexDocument(id: $id) { id } }', { id: document.id }, admin.accessToken)).extensions).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('re-adding identical content returns the stored document', async () => {
    const input = { title: 'Once', mimeType: 'text/plain', text: 'Identical content is stored once.' };
    const { document } = await ingestAndWait(input);
    expect(dataOf(await ingest({ ...input, title: 'Twice' })).ingestDocument).toMatchObject({ id: document.id, title: 'Once', status: 'READY' });
  });
});

describe('bad inputs through the router', () => {
  it.each([
    [{ title: 'x', mimeType: 'application/zip', text: 'x' }, 'input.mimeType'],
    [{ title: 'x', mimeType: 'text/plain', text: '' }, 'input.text'],
    [{ title: 'x', mimeType: 'application/pdf', base64: Buffer.from('%PDF-1.7 broken').toString('base64') }, 'input.base64'],
    [{ title: 'x', mimeType: 'text/plain', base64: '***' }, 'input.base64'],
    [{ title: '', mimeType: 'text/plain', text: 'x' }, 'input.title'],
  ])('%j → BAD_USER_INPUT on %s', async (input, field) => {
    expect(errorOf(await ingest(input)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('permissions', () => {
  it('search and reads need USER, writes need ADMIN', async () => {
    expect(errorOf(await gql('{ search(query: "sepsis") { score } }')).extensions?.code).toBe('UNAUTHENTICATED');
    expect(errorOf(await search('sepsis', 'HYBRID', 5, viewer.accessToken)).extensions?.code).toBe('FORBIDDEN');
    expect(errorOf(await gql('{ documents { edges { node { id } } } }', {}, viewer.accessToken)).extensions?.code).toBe('FORBIDDEN');
    expect(errorOf(await ingest({ title: 'x', mimeType: 'text/plain', text: 'x' }, user.accessToken)).extensions?.code).toBe('FORBIDDEN');
    expect(errorOf(await gql('mutation { deleteDocument(id: "00000000-0000-4000-8000-000000000000") }', {}, user.accessToken)).extensions?.code).toBe('FORBIDDEN');
    expect(errorOf(await gql('mutation { reindexDocument(id: "00000000-0000-4000-8000-000000000000") { id } }', {}, user.accessToken)).extensions?.code).toBe('FORBIDDEN');
    expect(dataOf(await search('sepsis', 'HYBRID', 5, user.accessToken)).search).toEqual(expect.any(Array));
    // Superadmins are admins too.
    expect(dataOf(await ingest({ title: 'By the superadmin', mimeType: 'text/plain', text: `Added by the superadmin ${randomUUID()}` }, superadmin.accessToken)).ingestDocument.status).toBe('PENDING');
  });

  it('documentStatus refuses anonymous and VIEWER subscribers, and says NOT_FOUND for unknown documents', async () => {
    const id = randomUUID();
    for (const [token, code] of [[undefined, 'UNAUTHENTICATED'], [viewer.accessToken, 'FORBIDDEN'], [user.accessToken, 'NOT_FOUND']] as const) {
      const client = wsClient(token);
      const outcome = await watch(client, id, () => true).catch((error: unknown) => ({ events: [], completed: false, error }));
      await client.dispose();
      expect(JSON.stringify(outcome)).toContain(code);
    }
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@voiceassist/database';
import { startSupergraph, TEST_CLIENT_PROXY, type TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf, errorOf, graphqlRequest, type GraphQLResponse } from '@voiceassist/testkit/graphql-client';

// Deleting, erasing and exporting a person through the real router and identity over HTTP
// (PGlite, or PostgreSQL and Redis when CI sets them). The other subgraphs' parts are theirs.
const PASSWORD = 'violet kettle harbour';
const SUBGRAPHS = ['conversation', 'knowledge', 'voice', 'flags'];

let supergraph: TestSupergraph;
let superadmin: Auth;

interface Auth {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string };
}

let ipCounter = 0;
const freshIp = () => `198.51.100.${(ipCounter++ % 250) + 1}`;

function gql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, options: { token?: string; ip?: string; direct?: boolean } = {}): Promise<GraphQLResponse<T>> {
  const target = options.direct ? `${supergraph.identity.url}/graphql` : supergraph.graphqlUrl;
  return graphqlRequest<T>(target, query, variables, { token: options.token, headers: { 'x-forwarded-for': options.ip ?? freshIp(), 'user-agent': 'ErasureTestBrowser/7.1' } });
}

async function signUp(label: string, ip?: string): Promise<Auth> {
  const email = `${label}-${randomUUID().slice(0, 8)}@example.com`;
  const response = await gql<{ register: Auth }>(
    'mutation R($input: RegisterInput!) { register(input: $input) { accessToken refreshToken user { id email } } }',
    { input: { email, password: PASSWORD, displayName: `${label} person` } },
    { ip },
  );
  return dataOf(response).register;
}

const deleteMe = (token: string, password: string) => gql<{ deleteMe: boolean }>('mutation D($p: String!) { deleteMe(password: $p) }', { p: password }, { token });
const deleteUser = (token: string, id: string) => gql<{ deleteUser: boolean }>('mutation D($id: ID!) { deleteUser(id: $id) }', { id }, { token });

interface StatusView {
  userId: string;
  requestedAt: string;
  completedAt: string | null;
  identity: { state: string; at: string | null };
}
const erasureStatus = (token: string, userId: string) =>
  gql<{ erasureStatus: StatusView | null }>('query S($u: ID!) { erasureStatus(userId: $u) { userId requestedAt completedAt identity { state at } } }', { u: userId }, { token });

interface ExportView {
  userId: string;
  exportedAt: string;
  identity: {
    profile: { id: string; email: string; displayName: string };
    settings: Record<string, unknown>;
    sessions: Array<Record<string, unknown>>;
    auditEntries: Array<{ action: string; ip: string | null; userAgent: string | null; metadata: Record<string, unknown> }>;
  };
}
const exportData = (token: string | undefined, userId?: string) =>
  gql<{ exportMyData: ExportView }>('query E($u: ID) { exportMyData(userId: $u) { userId exportedAt identity } }', userId ? { u: userId } : {}, { token });

const feed = async (query = '') => {
  const response = await fetch(`${supergraph.identity.url}/erasures${query}`);
  return { status: response.status, body: (await response.json()) as { asOf: number; erasures: Array<{ userId: string; requestedAt: number; confirmedBy: string[] }> } };
};

beforeAll(async () => {
  supergraph = await startSupergraph({ subgraphs: ['identity'], router: { trustProxy: TEST_CLIENT_PROXY } });
  superadmin = await signUp('founder');
});
afterAll(async () => {
  await supergraph?.stop();
});

describe('deleteMe', () => {
  it('refuses a wrong password on the password field and deletes nothing', async () => {
    const person = await signUp('careful');
    expect(errorOf(await deleteMe(person.accessToken, 'not the right one at all')).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
    expect(dataOf(await gql<{ me: { id: string } | null }>('{ me { id } }', {}, { token: person.accessToken })).me?.id).toBe(person.user.id);
    expect(dataOf(await erasureStatus(superadmin.accessToken, person.user.id)).erasureStatus).toBeNull();
    expect((await feed()).body.erasures.map((e) => e.userId)).not.toContain(person.user.id);
  });

  it('deletes the caller, ends their sessions, and shows the erasure pending in the subgraphs', async () => {
    const person = await signUp('leaving');
    expect(dataOf(await deleteMe(person.accessToken, PASSWORD)).deleteMe).toBe(true);
    expect(errorOf(await gql('{ me { id } }', {}, { token: person.accessToken })).code).toBe('UNAUTHENTICATED');

    const status = dataOf(await erasureStatus(superadmin.accessToken, person.user.id)).erasureStatus!;
    expect(status).toMatchObject({ userId: person.user.id, completedAt: null, identity: { state: 'DONE', at: status.requestedAt } });
    expect(Date.now() - Date.parse(status.requestedAt)).toBeLessThan(60_000);

    const listed = (await feed()).body.erasures.find((e) => e.userId === person.user.id);
    expect(listed).toEqual({ userId: person.user.id, requestedAt: Date.parse(status.requestedAt), confirmedBy: [] });
  });

  it('is for signed-in callers only', async () => {
    expect(errorOf(await deleteMe('', PASSWORD)).code).toBe('UNAUTHENTICATED');
  });
});

describe('GET /erasures', () => {
  it('answers since= with the recent and the pending erasures, and refuses a bad since', async () => {
    const person = await signUp('feed');
    const before = Date.now();
    dataOf(await deleteUser(superadmin.accessToken, person.user.id));
    const { status, body } = await feed(`?since=${before}`);
    expect(status).toBe(200);
    expect(body.asOf).toBeGreaterThanOrEqual(before);
    expect(body.erasures.map((e) => e.userId)).toContain(person.user.id);
    expect((await feed('?since=yesterday')).status).toBe(400);
  });
});

describe('erasureStatus and the audit log after an erasure', () => {
  it('completes once every subgraph confirmed: one audit entry, no plaintext of the person left, the chain valid', async () => {
    const ip = '203.0.113.199';
    const person = await signUp('erased', ip);
    // A failed login at their email: the email and address go into the audit log.
    await gql('mutation { login(email: "' + person.user.email + '", password: "wrong wrong wrong") { accessToken } }', {}, { ip });
    dataOf(await gql('mutation { updateSettings(settings: { theme: "dark" }) { id } }', {}, { token: person.accessToken, ip }));
    const shownBefore = JSON.stringify(dataOf(await gql('{ auditLog(first: 50) { edges { node { ip metadata } } } }', {}, { token: superadmin.accessToken })));
    expect(shownBefore).toContain(person.user.email);
    expect(shownBefore).toContain(ip);

    dataOf(await deleteUser(superadmin.accessToken, person.user.id));
    const { service } = supergraph.identity;
    // Every subgraph confirms, some twice, as after a lost confirmation.
    await Promise.all([...SUBGRAPHS, ...SUBGRAPHS].map((subgraph) => service.erasures.confirm({ userId: person.user.id, subgraph, erasedAt: Date.now() })));

    const status = dataOf(await erasureStatus(superadmin.accessToken, person.user.id)).erasureStatus!;
    expect(status.completedAt).toEqual(expect.any(String));
    const completions = dataOf(
      await gql<{ auditLog: { edges: Array<{ node: { targetId: string } }> } }>('{ auditLog(first: 100, action: "user_erasure_complete") { edges { node { targetId } } } }', {}, { token: superadmin.accessToken }),
    ).auditLog.edges.filter((e) => e.node.targetId === person.user.id);
    expect(completions).toHaveLength(1);

    const stored = JSON.stringify(await service.database.query(sql`select t::text as row from identity.audit_events t`));
    expect(stored).not.toContain(person.user.email);
    expect(stored).not.toContain(ip);
    expect(stored).not.toContain('ErasureTestBrowser');
    const shownAfter = JSON.stringify(dataOf(await gql('{ auditLog(first: 100) { edges { node { ip userAgent metadata } } } }', {}, { token: superadmin.accessToken })));
    expect(shownAfter).not.toContain(person.user.email);
    expect(shownAfter).not.toContain(ip);
    expect(shownAfter).toContain('[erased]');
    expect(dataOf(await gql<{ verifyAuditLog: { valid: boolean } }>('{ verifyAuditLog { valid } }', {}, { token: superadmin.accessToken })).verifyAuditLog.valid).toBe(true);
  });

  it('is for ADMIN+ only', async () => {
    const user = await signUp('curious');
    expect(errorOf(await erasureStatus(user.accessToken, superadmin.user.id)).code).toBe('FORBIDDEN');
    expect(errorOf(await erasureStatus('', superadmin.user.id)).code).toBe('UNAUTHENTICATED');
    expect(dataOf(await erasureStatus(superadmin.accessToken, randomUUID())).erasureStatus).toBeNull();
  });
});

describe('exportMyData', () => {
  it('gives the person their profile, settings, sessions without tokens, and their audit entries decrypted', async () => {
    const ip = '203.0.113.77';
    const person = await signUp('exporter', ip);
    dataOf(await gql('mutation { updateSettings(settings: { language: "fr", dictation: { autoStop: true } }) { id } }', {}, { token: person.accessToken, ip }));

    const exported = dataOf(await exportData(person.accessToken)).exportMyData;
    expect(exported.userId).toBe(person.user.id);
    expect(exported.identity.profile).toMatchObject({ id: person.user.id, email: person.user.email, displayName: 'exporter person' });
    expect(exported.identity.settings).toEqual({ language: 'fr', dictation: { autoStop: true } });
    expect(exported.identity.sessions).toHaveLength(1);
    expect(exported.identity.sessions[0]).toMatchObject({ ip, userAgent: 'ErasureTestBrowser/7.1', revokedAt: null });
    expect(exported.identity.auditEntries.map((e) => e.action)).toEqual(['settings_update', 'register']);
    expect(exported.identity.auditEntries[0]).toMatchObject({ ip, userAgent: 'ErasureTestBrowser/7.1' });
    const text = JSON.stringify(exported);
    expect(text).not.toContain(person.refreshToken);
    expect(text).not.toContain(person.accessToken);
    expect(text).not.toMatch(/token_?hash|passwordHash/i);
  });

  it('lets ADMIN+ export another user, and nobody else', async () => {
    const person = await signUp('subject');
    const other = await signUp('nosy');
    expect(dataOf(await exportData(superadmin.accessToken, person.user.id)).exportMyData.identity.profile.email).toBe(person.user.email);
    expect(errorOf(await exportData(other.accessToken, person.user.id)).code).toBe('FORBIDDEN');
    expect(errorOf(await exportData(undefined)).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await exportData(superadmin.accessToken, randomUUID())).code).toBe('NOT_FOUND');
  });

  it('keeps the same rule for entity lookups on the subgraph', async () => {
    const person = await signUp('entity');
    const other = await signUp('prober');
    const lookup = (token: string) =>
      gql<{ _entities: Array<{ identity: { profile: { email: string } } } | null> }>(
        'query L($r: [_Any!]!) { _entities(representations: $r) { ... on DataExport { identity } } }',
        { r: [{ __typename: 'DataExport', userId: person.user.id }] },
        { token, direct: true },
      );
    expect(errorOf(await lookup(other.accessToken)).code).toBe('FORBIDDEN');
    expect(dataOf(await lookup(person.accessToken))._entities[0]?.identity.profile.email).toBe(person.user.email);
  });
});

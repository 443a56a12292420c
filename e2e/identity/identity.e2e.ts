import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@voiceassist/database';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { startSupergraph, TEST_CLIENT_PROXY, type TestSupergraph } from '@voiceassist/test-supergraph';
import { dataOf, errorOf, graphqlRequest, type GraphQLResponse } from '@voiceassist/testkit/graphql-client';
import { createAccessTokenIssuer } from '@voiceassist/identity/access-tokens';
import { createIdentityService, identityEnvSchema, type IdentityService } from '@voiceassist/identity';

// The real router and identity subgraph over real HTTP: PGlite in memory, or a fresh PostgreSQL
// database and Redis when CI sets them. Requests go through the router unless a test is about
// the subgraph itself (JWKS, health, entity resolution).
const env = loadEnv(identityEnvSchema, {});
const PASSWORD = 'violet kettle harbour';
const logLines: string[] = [];
/** Every password and token the tests send or receive; none may reach the logs. */
const secrets = new Set<string>([PASSWORD]);

let supergraph: TestSupergraph;
let service: IdentityService;
/** The router. */
let url: string;
/** The identity subgraph, reached directly. */
let subgraphUrl: string;
let superadmin: Auth;

interface UserView {
  id: string;
  email: string;
  displayName: string;
  role: string;
  active: boolean;
  settings: Record<string, unknown>;
  lastLoginAt: string | null;
  createdAt: string;
}
interface Auth {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  user: UserView;
}

const USER_FIELDS = 'id email displayName role active settings lastLoginAt createdAt';
const AUTH_FIELDS = `accessToken refreshToken expiresAt user { ${USER_FIELDS} }`;

let ipCounter = 0;
/** Each request from its own address unless a test says otherwise, so per-IP throttling only bites where tested. */
const freshIp = () => `10.1.${Math.floor(ipCounter / 250)}.${(ipCounter++ % 250) + 1}`;

async function gql<T = Record<string, unknown>>(
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; ip?: string; headers?: Record<string, string>; direct?: boolean } = {},
): Promise<GraphQLResponse<T>> {
  const response = await graphqlRequest<T>(`${options.direct ? subgraphUrl : url}/graphql`, query, variables, {
    token: options.token,
    headers: { 'x-forwarded-for': options.ip ?? freshIp(), 'user-agent': 'identity-test/1.0', ...options.headers },
  });
  for (const key of ['accessToken', 'refreshToken'] as const) {
    for (const match of JSON.stringify(response.body).matchAll(new RegExp(`"${key}":"([^"]+)"`, 'g'))) secrets.add(match[1]!);
  }
  return response;
}

const codeOf = (response: GraphQLResponse<unknown>) => errorOf(response).code;

const uniqueEmail = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;

function register(email: string, password = PASSWORD, options: { ip?: string; displayName?: string } = {}) {
  return gql<{ register: Auth }>(`mutation Register($input: RegisterInput!) { register(input: $input) { ${AUTH_FIELDS} } }`, {
    input: { email, password, displayName: options.displayName ?? 'Test User' },
  }, options);
}

async function signUp(label: string): Promise<Auth> {
  return dataOf(await register(uniqueEmail(label))).register;
}

function login(email: string, password = PASSWORD, options: { ip?: string } = {}) {
  return gql<{ login: Auth }>(`mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { ${AUTH_FIELDS} } }`, { email, password }, options);
}

function refresh(refreshToken: string) {
  return gql<{ refreshToken: Auth }>(`mutation Refresh($t: String!) { refreshToken(refreshToken: $t) { ${AUTH_FIELDS} } }`, { t: refreshToken });
}

const me = (token: string) => gql<{ me: UserView | null }>(`{ me { ${USER_FIELDS} } }`, {}, { token });

function updateUser(token: string, id: string, input: Record<string, unknown>) {
  return gql<{ updateUser: UserView }>(`mutation U($id: ID!, $input: AdminUpdateUserInput!) { updateUser(id: $id, input: $input) { ${USER_FIELDS} } }`, { id, input }, { token });
}

/** An ADMIN with a token that carries the role (refreshed after the promotion). */
async function makeAdmin(label: string): Promise<Auth> {
  const account = await signUp(label);
  dataOf(await updateUser(superadmin.accessToken, account.user.id, { role: 'ADMIN' }));
  return dataOf(await refresh(account.refreshToken)).refreshToken;
}

beforeAll(async () => {
  supergraph = await startSupergraph({
    subgraphs: ['identity'],
    // The test is the proxy in front of the router: each request names its client's address.
    router: { trustProxy: TEST_CLIENT_PROXY },
    loggers: { identity: createLogger({ service: 'identity', level: 'debug', destination: { write: (line: string) => void logLines.push(line) } }) },
  });
  service = supergraph.identity.service;
  url = supergraph.routerUrl;
  subgraphUrl = supergraph.identity.url;
  superadmin = dataOf(await register(uniqueEmail('founder'))).register;
});

afterAll(async () => {
  await supergraph?.stop();
});

describe('start-up', () => {
  it('refuses a half-configured seed admin before touching anything', async () => {
    const halfSeeded = loadEnv(identityEnvSchema, { SEED_SUPERADMIN_EMAIL: 'root@example.com' });
    await expect(createIdentityService({ env: halfSeeded, logger: createLogger({ service: 'identity', level: 'silent' }), infra: {} })).rejects.toThrow(
      'Set both SEED_SUPERADMIN_EMAIL and SEED_SUPERADMIN_PASSWORD, or neither',
    );
  });
});

describe('registration', () => {
  it('makes the first user SUPERADMIN and everyone after USER', async () => {
    expect(superadmin.user.role).toBe('SUPERADMIN');
    expect((await signUp('second')).user.role).toBe('USER');
  });

  it('lower-cases the email and returns a session with the user, settings included', async () => {
    const email = uniqueEmail('Mixed.Case').toUpperCase();
    const { user, accessToken, refreshToken, expiresAt } = dataOf(await register(`  ${email} `, PASSWORD, { displayName: '  Dr.   Ada  ' })).register;
    expect(user).toMatchObject({ email: email.toLowerCase(), displayName: 'Dr. Ada', role: 'USER', active: true, settings: {} });
    expect(user.lastLoginAt).not.toBeNull();
    expect(refreshToken.length).toBeGreaterThanOrEqual(43);
    const claims = decodeJwt(accessToken);
    expect(claims).toMatchObject({ sub: user.id, role: 'USER', iss: env.AUTH_ISSUER, aud: env.AUTH_AUDIENCE });
    expect(claims.exp! - claims.iat!).toBe(env.ACCESS_TOKEN_TTL_SECONDS);
    expect(new Date(expiresAt).getTime()).toBe(claims.exp! * 1000);
  });

  it('returns every reason a password is refused, on the password field', async () => {
    const email = uniqueEmail('john.smith');
    const cases: Array<[string, string[]]> = [
      ['short', ['TOO_SHORT']],
      ['Password2024!', ['COMMON_PASSWORD']],
      [`${email.split('@')[0]}!`, ['CONTAINS_EMAIL']],
      ['smith1', ['TOO_SHORT', 'CONTAINS_EMAIL']],
      ['qwerty', ['TOO_SHORT', 'COMMON_PASSWORD']],
    ];
    for (const [password, reasons] of cases) {
      const error = errorOf(await register(email, password));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.password', reasons });
    }
    // Nothing was created by the refused attempts.
    expect(dataOf(await register(email)).register.user.email).toBe(email);
  });

  it('validates the email and display name, naming the field', async () => {
    expect(errorOf(await register('not-an-email')).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.email' });
    expect(errorOf(await register(uniqueEmail('noname'), PASSWORD, { displayName: '   ' })).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.displayName',
    });
  });

  it('refuses a second account for the same email, whatever its case', async () => {
    const email = uniqueEmail('dup');
    dataOf(await register(email));
    expect(errorOf(await register(email.toUpperCase())).extensions).toMatchObject({ code: 'CONFLICT', field: 'input.email' });
  });
});

describe('session lifecycle', () => {
  it('register → login → me → refresh → reuse kills the family → logout → token rejected', async () => {
    const email = uniqueEmail('life');
    const registered = dataOf(await register(email)).register;

    const loggedIn = dataOf(await login(email.toUpperCase())).login;
    expect(loggedIn.user.id).toBe(registered.user.id);
    expect(dataOf(await me(loggedIn.accessToken)).me).toMatchObject({ id: registered.user.id, email, role: 'USER' });

    const refreshed = dataOf(await refresh(loggedIn.refreshToken)).refreshToken;
    expect(refreshed.refreshToken).not.toBe(loggedIn.refreshToken);
    expect(decodeJwt(refreshed.accessToken).sid).toBe(decodeJwt(loggedIn.accessToken).sid);
    expect(dataOf(await me(refreshed.accessToken)).me?.id).toBe(registered.user.id);

    // Someone replays the first refresh token: the whole family is revoked at once.
    const replay = errorOf(await refresh(loggedIn.refreshToken));
    expect(replay.extensions?.code).toBe('UNAUTHENTICATED');
    expect(replay.message).toMatch(/already used/);
    expect(codeOf(await refresh(refreshed.refreshToken))).toBe('UNAUTHENTICATED');
    const revoked = await me(refreshed.accessToken);
    expect(revoked.status).toBe(401);
    expect(errorOf(revoked)).toMatchObject({ message: 'Session has been revoked', extensions: { code: 'UNAUTHENTICATED' } });

    // The registration's own session is another family and still works, until logout.
    expect(dataOf(await me(registered.accessToken)).me?.id).toBe(registered.user.id);
    expect(dataOf(await gql<{ logout: boolean }>('mutation { logout }', {}, { token: registered.accessToken })).logout).toBe(true);
    expect((await me(registered.accessToken)).status).toBe(401);
    expect(codeOf(await refresh(registered.refreshToken))).toBe('UNAUTHENTICATED');
  });

  it('logout with a refresh token ends that session, even without an access token', async () => {
    const { user } = await signUp('logout-rt');
    const session = dataOf(await login(user.email)).login;
    const logout = (t: string) => gql<{ logout: boolean }>('mutation L($t: String) { logout(refreshToken: $t) }', { t });
    expect(dataOf(await logout(session.refreshToken)).logout).toBe(true);
    expect(dataOf(await logout(session.refreshToken)).logout).toBe(false);
    expect((await me(session.accessToken)).status).toBe(401);
    expect(codeOf(await gql('mutation { logout }'))).toBe('UNAUTHENTICATED');
  });

  it('logoutEverywhere ends every session of the caller', async () => {
    const first = await signUp('everywhere');
    const second = dataOf(await login(first.user.email)).login;
    expect(dataOf(await gql<{ logoutEverywhere: boolean }>('mutation { logoutEverywhere }', {}, { token: second.accessToken })).logoutEverywhere).toBe(true);
    expect((await me(first.accessToken)).status).toBe(401);
    expect((await me(second.accessToken)).status).toBe(401);
    expect(codeOf(await refresh(first.refreshToken))).toBe('UNAUTHENTICATED');
  });

  it('gives a wrong password and an unknown email the very same error', async () => {
    const { user } = await signUp('same-error');
    const wrong = errorOf(await login(user.email, 'definitely not it'));
    const unknown = errorOf(await login(uniqueEmail('ghost')));
    expect(wrong).toMatchObject({ message: 'Invalid email or password', extensions: { code: 'UNAUTHENTICATED' } });
    expect({ message: unknown.message, code: unknown.extensions?.code }).toEqual({ message: wrong.message, code: wrong.extensions?.code });
  });

  it('changes the password after checking the current one, and signs out the other sessions', async () => {
    const current = await signUp('change-pw');
    const other = dataOf(await login(current.user.email)).login;
    const change = (currentPassword: string, newPassword: string) =>
      gql<{ changePassword: boolean }>('mutation C($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }', { c: currentPassword, n: newPassword }, { token: current.accessToken });
    expect(errorOf(await change('wrong password!!', 'sapphire lantern meadow')).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    expect(errorOf(await change(PASSWORD, PASSWORD)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword', reasons: ['SAME_AS_CURRENT'] });
    expect(errorOf(await change(PASSWORD, 'letmein')).extensions).toMatchObject({ field: 'newPassword', reasons: ['TOO_SHORT', 'COMMON_PASSWORD'] });
    secrets.add('sapphire lantern meadow');
    expect(dataOf(await change(PASSWORD, 'sapphire lantern meadow')).changePassword).toBe(true);
    expect(dataOf(await me(current.accessToken)).me?.id).toBe(current.user.id);
    expect((await me(other.accessToken)).status).toBe(401);
    expect(codeOf(await login(current.user.email))).toBe('UNAUTHENTICATED');
    expect(dataOf(await login(current.user.email, 'sapphire lantern meadow')).login.user.id).toBe(current.user.id);
  });
});

describe('profile and settings', () => {
  it('merges settings as a JSON merge patch and renames through updateMe', async () => {
    const { accessToken } = await signUp('settings');
    const update = (settings: unknown) => gql<{ updateSettings: UserView }>('mutation S($s: JSON!) { updateSettings(settings: $s) { settings } }', { s: settings }, { token: accessToken });
    dataOf(await update({ theme: 'dark', voice: { name: 'alloy', speed: 1.2 } }));
    const merged = dataOf(await update({ voice: { speed: null }, language: 'en' })).updateSettings.settings;
    expect(merged).toEqual({ theme: 'dark', voice: { name: 'alloy' }, language: 'en' });
    expect(errorOf(await update(['not', 'an', 'object'])).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'settings' });
    expect(errorOf(await update({ blob: 'x'.repeat(20_000) })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'settings' });

    const renamed = await gql<{ updateMe: UserView }>('mutation { updateMe(input: { displayName: "Renamed" }) { displayName } }', {}, { token: accessToken });
    expect(dataOf(renamed).updateMe.displayName).toBe('Renamed');
  });
});

describe('roles and their limits', () => {
  it('lets only a SUPERADMIN grant ADMIN, and the new role reaches the token on refresh', async () => {
    const admin = await makeAdmin('admin');
    expect(decodeJwt(admin.accessToken).role).toBe('ADMIN');
    const target = await signUp('target');
    expect(errorOf(await updateUser(admin.accessToken, target.user.id, { role: 'ADMIN' }))).toMatchObject({
      message: 'Only a SUPERADMIN can grant ADMIN or SUPERADMIN',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(dataOf(await updateUser(admin.accessToken, target.user.id, { role: 'VIEWER' })).updateUser.role).toBe('VIEWER');
  });

  it('lets nobody change their own role', async () => {
    expect(errorOf(await updateUser(superadmin.accessToken, superadmin.user.id, { role: 'USER' }))).toMatchObject({
      message: 'You cannot change your own role',
      extensions: { code: 'FORBIDDEN' },
    });
    const admin = await makeAdmin('self-promoter');
    expect(codeOf(await updateUser(admin.accessToken, admin.user.id, { role: 'SUPERADMIN' }))).toBe('FORBIDDEN');
    const user = await signUp('self-user');
    expect(codeOf(await updateUser(user.accessToken, user.user.id, { role: 'ADMIN' }))).toBe('FORBIDDEN');
  });

  it('keeps ADMINs away from ADMIN and SUPERADMIN accounts', async () => {
    const admin = await makeAdmin('meddler');
    const otherAdmin = await makeAdmin('other-admin');
    expect(codeOf(await updateUser(admin.accessToken, otherAdmin.user.id, { active: false }))).toBe('FORBIDDEN');
    expect(codeOf(await updateUser(admin.accessToken, superadmin.user.id, { displayName: 'Pwned' }))).toBe('FORBIDDEN');
    expect(codeOf(await gql('mutation D($id: ID!) { deleteUser(id: $id) }', { id: superadmin.user.id }, { token: admin.accessToken }))).toBe('FORBIDDEN');
  });

  it('signs a demoted ADMIN out at once', async () => {
    const admin = await makeAdmin('demoted');
    dataOf(await updateUser(superadmin.accessToken, admin.user.id, { role: 'USER' }));
    expect((await me(admin.accessToken)).status).toBe(401);
    expect(decodeJwt(dataOf(await login(admin.user.email)).login.accessToken).role).toBe('USER');
  });

  it('deactivating a user ends their sessions and stops login and refresh', async () => {
    const user = await signUp('deactivated');
    expect(dataOf(await updateUser(superadmin.accessToken, user.user.id, { active: false })).updateUser.active).toBe(false);
    expect((await me(user.accessToken)).status).toBe(401);
    expect(codeOf(await refresh(user.refreshToken))).toBe('UNAUTHENTICATED');
    expect(errorOf(await login(user.user.email))).toMatchObject({ message: 'This account is deactivated', extensions: { code: 'UNAUTHENTICATED' } });
    dataOf(await updateUser(superadmin.accessToken, user.user.id, { active: true }));
    expect(dataOf(await login(user.user.email)).login.user.active).toBe(true);
  });

  it('deleting a user ends their sessions and removes them', async () => {
    const admin = await makeAdmin('deleter');
    const user = await signUp('deleted');
    const remove = (id: string) => gql<{ deleteUser: boolean }>('mutation D($id: ID!) { deleteUser(id: $id) }', { id }, { token: admin.accessToken });
    expect(dataOf(await remove(user.user.id)).deleteUser).toBe(true);
    expect((await me(user.accessToken)).status).toBe(401);
    expect(dataOf(await gql<{ user: UserView | null }>('query Q($id: ID!) { user(id: $id) { id } }', { id: user.user.id }, { token: admin.accessToken })).user).toBeNull();
    expect(codeOf(await remove(user.user.id))).toBe('NOT_FOUND');
    expect(codeOf(await remove('not-a-uuid'))).toBe('NOT_FOUND');
    expect(codeOf(await remove(admin.user.id))).toBe('FORBIDDEN');
  });

  it('rotates the signing key for SUPERADMIN only; old tokens keep working and both keys are published', async () => {
    const admin = await makeAdmin('rotator');
    const rotate = (token: string) => gql<{ rotateSigningKey: boolean }>('mutation { rotateSigningKey }', {}, { token });
    expect(codeOf(await rotate(admin.accessToken))).toBe('FORBIDDEN');
    const oldKid = decodeProtectedHeader(superadmin.accessToken).kid;
    expect(dataOf(await rotate(superadmin.accessToken)).rotateSigningKey).toBe(true);
    const fresh = dataOf(await login(admin.user.email)).login;
    const newKid = decodeProtectedHeader(fresh.accessToken).kid;
    expect(newKid).not.toBe(oldKid);
    const jwks = (await (await fetch(`${subgraphUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string; d?: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    expect(dataOf(await me(superadmin.accessToken)).me?.id).toBe(superadmin.user.id);
    expect(dataOf(await me(fresh.accessToken)).me?.id).toBe(admin.user.id);
  });
});

describe('who sees what', () => {
  const userQuery = `query Q($id: ID!) { user(id: $id) { id displayName role email } }`;

  it('shows a user email, settings and last login only to the user and ADMIN+', async () => {
    const alice = await signUp('alice');
    const bob = await signUp('bob');
    const asBob = await gql<{ user: UserView | null }>(userQuery, { id: alice.user.id }, { token: bob.accessToken });
    expect(errorOf(asBob)).toMatchObject({ path: ['user', 'email'], extensions: { code: 'FORBIDDEN' } });
    const publicOnly = await gql<{ user: UserView }>('query Q($id: ID!) { user(id: $id) { id displayName role } }', { id: alice.user.id }, { token: bob.accessToken });
    expect(dataOf(publicOnly).user).toEqual({ id: alice.user.id, displayName: 'Test User', role: 'USER' });
    expect(dataOf(await gql<{ user: UserView }>(userQuery, { id: alice.user.id }, { token: superadmin.accessToken })).user.email).toBe(alice.user.email);
    expect(dataOf(await gql<{ user: UserView }>(userQuery, { id: alice.user.id }, { token: alice.accessToken })).user.email).toBe(alice.user.email);
    for (const field of ['settings', 'lastLoginAt']) {
      const response = await gql(`query Q($id: ID!) { user(id: $id) { ${field} } }`, { id: alice.user.id }, { token: bob.accessToken });
      expect(codeOf(response)).toBe('FORBIDDEN');
    }
  });

  it('denies anonymous callers everything but sign-in, me (null) and federation', async () => {
    expect(dataOf(await gql<{ me: UserView | null }>('{ me { id } }')).me).toBeNull();
    for (const query of [
      '{ users { edges { node { id } } } }',
      '{ auditLog { edges { node { id } } } }',
      '{ verifyAuditLog { valid } }',
      `{ user(id: "${superadmin.user.id}") { id } }`,
      'mutation { logoutEverywhere }',
      'mutation { updateSettings(settings: {}) { id } }',
      'mutation { rotateSigningKey }',
    ]) {
      expect(codeOf(await gql(query)), query).toBe('UNAUTHENTICATED');
    }
    // The SDL is for the router: the subgraph serves it to anyone; the router's API has no such field.
    const sdl = dataOf(await gql<{ _service: { sdl: string } }>('{ _service { sdl } }', {}, { direct: true }))._service.sdl;
    expect(sdl).toMatch(/type User\s+@key\(fields: "id"\)/);
  });

  it('lets USERs not use admin fields', async () => {
    const user = await signUp('nosy');
    for (const query of ['{ users { edges { node { id } } } }', '{ auditLog { edges { node { id } } } }', '{ verifyAuditLog { valid } }']) {
      expect(codeOf(await gql(query, {}, { token: user.accessToken })), query).toBe('FORBIDDEN');
    }
  });

  it('resolves User entities for the router with the same field rules as the root fields', async () => {
    const alice = await signUp('entity');
    const query = 'query E($r: [_Any!]!) { _entities(representations: $r) { ... on User { id displayName email } } }';
    const representations = [{ __typename: 'User', id: alice.user.id }, { __typename: 'User', id: randomUUID() }];
    const own = dataOf(await gql<{ _entities: Array<UserView | null> }>(query, { r: representations }, { token: alice.accessToken, direct: true }));
    expect(own._entities).toEqual([{ id: alice.user.id, displayName: 'Test User', email: alice.user.email }, null]);
    const anonymous = await gql(query, { r: representations }, { direct: true });
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
    const other = await signUp('entity-other');
    expect(errorOf(await gql(query, { r: representations }, { token: other.accessToken, direct: true })).extensions?.code).toBe('FORBIDDEN');
  });
});

describe('users list', () => {
  it('pages newest first with cursors, filters, and a capped page size', async () => {
    const tag = randomUUID().slice(0, 8);
    const made: Auth[] = [];
    for (let i = 0; i < 3; i++) made.push(dataOf(await register(`list-${tag}-${i}@example.com`)).register);
    const list = (variables: Record<string, unknown>) =>
      gql<{ users: { edges: Array<{ cursor: string; node: UserView }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(
        'query L($first: Int, $after: String, $search: String, $role: Role) { users(first: $first, after: $after, search: $search, role: $role) { edges { cursor node { id email } } pageInfo { hasNextPage endCursor } } }',
        variables,
        { token: superadmin.accessToken },
      );
    const page1 = dataOf(await list({ first: 2, search: tag })).users;
    expect(page1.edges.map((e) => e.node.id)).toEqual([made[2]!.user.id, made[1]!.user.id]);
    expect(page1.pageInfo).toEqual({ hasNextPage: true, endCursor: page1.edges[1]!.cursor });
    const page2 = dataOf(await list({ first: 2, search: tag, after: page1.pageInfo.endCursor })).users;
    expect(page2.edges.map((e) => e.node.id)).toEqual([made[0]!.user.id]);
    expect(page2.pageInfo.hasNextPage).toBe(false);

    const superadmins = dataOf(await list({ role: 'SUPERADMIN' })).users.edges.map((e) => e.node.id);
    expect(superadmins).toEqual([superadmin.user.id]);
    expect(dataOf(await list({ search: '%' })).users.edges).toEqual([]);

    for (const first of [0, 101, -1]) expect(errorOf(await list({ first })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(errorOf(await list({ after: 'garbage' })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('throttling', () => {
  it(`refuses the ${env.AUTH_THROTTLE_PER_MINUTE + 1}th register from one IP within a minute`, async () => {
    const ip = '192.0.2.200';
    for (let i = 0; i < env.AUTH_THROTTLE_PER_MINUTE; i++) {
      expect(codeOf(await register(uniqueEmail('flood'), 'short', { ip }))).toBe('BAD_USER_INPUT');
    }
    const refused = errorOf(await register(uniqueEmail('flood'), PASSWORD, { ip }));
    expect(refused.extensions?.code).toBe('RATE_LIMITED');
    expect(refused.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.extensions?.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('stops one address guessing an email, and lets the owner in from another', async () => {
    const { user } = await signUp('target');
    const attacker = '203.0.113.66';
    for (let i = 0; i < env.AUTH_THROTTLE_PER_MINUTE; i++) expect(codeOf(await login(user.email, 'guessing wrong!!', { ip: attacker }))).toBe('UNAUTHENTICATED');
    expect(errorOf(await login(user.email, 'guessing wrong!!', { ip: attacker })).extensions).toMatchObject({ code: 'RATE_LIMITED' });
    // Even the right password from the guessing address waits: it cannot tell a hit from a miss.
    expect(codeOf(await login(user.email, PASSWORD, { ip: attacker }))).toBe('RATE_LIMITED');
    dataOf(await login(user.email, PASSWORD, { ip: '192.0.2.41' }));
  });

  it('lets the owner sign in and refresh throughout an attack of 30+ guesses from many addresses', async () => {
    const owner = await signUp('victim');
    const email = owner.user.email;
    let session = owner;
    const codes: unknown[] = [];
    for (let i = 0; i < 36; i++) {
      codes.push(codeOf(await login(email, `guess number ${i}!!`, { ip: `203.0.113.${100 + (i % 6)}` })));
      if (i % 12 === 11) session = dataOf(await refresh(session.refreshToken)).refreshToken;
    }
    // Wrong passwords until the email is under attack; from then each guessing address is refused.
    expect(codes.slice(0, 3 * env.AUTH_THROTTLE_PER_MINUTE).every((c) => c === 'UNAUTHENTICATED')).toBe(true);
    expect(codes.slice(3 * env.AUTH_THROTTLE_PER_MINUTE)).toEqual(Array(36 - 3 * env.AUTH_THROTTLE_PER_MINUTE).fill('RATE_LIMITED'));
    expect(codeOf(await login(email, PASSWORD, { ip: '203.0.113.100' }))).toBe('RATE_LIMITED');
    // The owner, from an address that was not guessing, signs in; the refresh token still works.
    const signedIn = dataOf(await login(email, PASSWORD, { ip: '192.0.2.42' })).login;
    expect(signedIn.user.id).toBe(owner.user.id);
    dataOf(await me(signedIn.accessToken));
    dataOf(await refresh(session.refreshToken));
  });
});

describe('behind a router that trusts no proxy', () => {
  let exposed: TestSupergraph;
  beforeAll(async () => {
    exposed = await startSupergraph({ subgraphs: ['identity'] });
  });
  afterAll(async () => {
    await exposed?.stop();
  });

  const spoofedLogin = (email: string, n: number) =>
    graphqlRequest(exposed.graphqlUrl, 'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }', { email, password: 'guessing wrong!!' }, {
      headers: { 'x-forwarded-for': `198.51.100.${n}` },
    });

  it('throttles and audits the connection address, whatever X-Forwarded-For claims', async () => {
    const email = uniqueEmail('spoofed');
    // An account, so the failures are about a known person: their address is stored encrypted, readable by the service.
    dataOf(await graphqlRequest(exposed.graphqlUrl, 'mutation R($input: RegisterInput!) { register(input: $input) { accessToken } }', { input: { email, password: PASSWORD, displayName: 'Spoofed' } }));
    const results = [];
    for (let n = 1; n <= 12; n++) results.push(codeOf(await spoofedLogin(email, n)));
    expect(results.slice(0, env.AUTH_THROTTLE_PER_MINUTE)).toEqual(Array(env.AUTH_THROTTLE_PER_MINUTE).fill('UNAUTHENTICATED'));
    expect(results.slice(env.AUTH_THROTTLE_PER_MINUTE)).toEqual(Array(12 - env.AUTH_THROTTLE_PER_MINUTE).fill('RATE_LIMITED'));
    const audited = await exposed.identity.service.audit.list({ limit: 100, action: 'login_failed' });
    expect(audited).toHaveLength(env.AUTH_THROTTLE_PER_MINUTE);
    expect(new Set(audited.map((row) => row.ip))).toEqual(new Set(['127.0.0.1']));
  });
});

describe('tokens over HTTP', () => {
  it('answers an expired, tampered or malformed token with 401 UNAUTHENTICATED', async () => {
    const issuer = createAccessTokenIssuer({
      keys: service.keys,
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      ttlSeconds: 60,
      now: () => Date.now() - 3_600_000,
    });
    const expired = (await issuer.issue({ userId: superadmin.user.id, role: 'SUPERADMIN', sessionId: decodeJwt(superadmin.accessToken).sid as string })).token;
    const [header, payload, signature] = superadmin.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: randomUUID() })).toString('base64url')}.${signature}`;
    for (const [token, message] of [
      [expired, 'Access token has expired'],
      [tampered, 'Invalid access token'],
    ] as const) {
      const response = await me(token);
      expect(response.status).toBe(401);
      expect(errorOf(response)).toMatchObject({ message, extensions: { code: 'UNAUTHENTICATED' } });
    }
    const malformed = await gql('{ me { id } }', {}, { headers: { authorization: 'Token abc' } });
    expect(malformed.status).toBe(401);
    expect(codeOf(malformed)).toBe('UNAUTHENTICATED');
  });

  it('serves the JWKS the tokens verify against, and health and readiness', async () => {
    const response = await fetch(`${subgraphUrl}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    const { keys } = (await response.json()) as { keys: Array<Record<string, string>> };
    const kid = decodeProtectedHeader(dataOf(await login(superadmin.user.email)).login.accessToken).kid;
    expect(keys.find((k) => k.kid === kid)).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(await (await fetch(`${subgraphUrl}/health`)).json()).toEqual({ status: 'ok', service: 'identity', checks: { revocations: 'ok' } });
    const ready = (await (await fetch(`${subgraphUrl}/ready`)).json()) as { status: string; checks: Record<string, string> };
    expect(ready.status).toBe('ready');
    expect(ready.checks.database).toBe('ok');
    expect(ready).not.toHaveProperty('degraded');
    // Extra routes answer GET only.
    expect((await fetch(`${subgraphUrl}/.well-known/jwks.json`, { method: 'POST' })).status).toBe(404);
  });
});

describe('audit log', () => {
  interface AuditView {
    id: string;
    action: string;
    actorId: string | null;
    actor: { id: string } | null;
    targetId: string | null;
    ip: string | null;
    userAgent: string | null;
    requestId: string | null;
    metadata: Record<string, unknown>;
  }
  const auditQuery =
    'query A($first: Int, $after: String, $actorId: ID, $action: String) { auditLog(first: $first, after: $after, actorId: $actorId, action: $action) { edges { cursor node { id action actorId actor { id } targetId ip userAgent requestId metadata } } pageInfo { hasNextPage endCursor } } }';
  const auditLog = (variables: Record<string, unknown>) =>
    gql<{ auditLog: { edges: Array<{ node: AuditView }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(auditQuery, variables, { token: superadmin.accessToken });
  const metricValues = async (name: string) => (await service.server.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  const verifications = async (result: string) => (await metricValues('audit_chain_verifications_total')).find((v) => v.labels.result === result)?.value ?? 0;
  const auditChainBroken = async () => (await metricValues('audit_chain_broken'))[0]?.value;
  const verify = async () =>
    dataOf(await gql<{ verifyAuditLog: { valid: boolean; checked: number; firstBrokenId: string | null } }>('{ verifyAuditLog { valid checked firstBrokenId } }', {}, { token: superadmin.accessToken })).verifyAuditLog;

  it('records auth events and admin actions with actor, target, ip, user agent and request id, and no secrets', async () => {
    const user = await signUp('audited');
    const requestId = `req-${randomUUID()}`;
    await gql('mutation { updateSettings(settings: { secretNote: "top secret value" }) { id } }', {}, { token: user.accessToken, ip: '198.51.100.77', headers: { 'x-request-id': requestId } });
    await login(user.user.email, 'wrong wrong wrong');
    dataOf(await updateUser(superadmin.accessToken, user.user.id, { role: 'VIEWER' }));

    const mine = dataOf(await auditLog({ actorId: user.user.id })).auditLog.edges.map((e) => e.node);
    expect(mine.map((e) => e.action)).toEqual(['settings_update', 'register']);
    expect(mine[0]).toMatchObject({ actorId: user.user.id, actor: { id: user.user.id }, targetId: user.user.id, ip: '198.51.100.77', userAgent: 'identity-test/1.0', requestId, metadata: { keys: ['secretNote'] } });
    expect(JSON.stringify(mine)).not.toContain('top secret value');

    const [failed] = dataOf(await auditLog({ action: 'login_failed', first: 1 })).auditLog.edges.map((e) => e.node);
    expect(failed).toMatchObject({ actorId: null, targetId: user.user.id, metadata: { reason: 'wrong_password', email: user.user.email } });
    const [adminAction] = dataOf(await auditLog({ action: 'user_update', first: 1 })).auditLog.edges.map((e) => e.node);
    expect(adminAction).toMatchObject({ actorId: superadmin.user.id, targetId: user.user.id, metadata: { changes: { role: { from: 'USER', to: 'VIEWER' } }, revokedSessions: 1 } });
    expect(JSON.stringify(dataOf(await auditLog({ first: 100 })))).not.toContain(PASSWORD);
  });

  it('pages newest first and validates its arguments', async () => {
    const page1 = dataOf(await auditLog({ first: 2 })).auditLog;
    const page2 = dataOf(await auditLog({ first: 2, after: page1.pageInfo.endCursor })).auditLog;
    const ids = [...page1.edges, ...page2.edges].map((e) => Number(e.node.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(4);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(errorOf(await auditLog({ first: 500 })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(errorOf(await auditLog({ actorId: 'nope' })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'actorId' });
    expect(errorOf(await auditLog({ after: 'nope' })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('verifies as valid, then names the row edited in the database', async () => {
    const user = await signUp('tamper');
    dataOf(await updateUser(superadmin.accessToken, user.user.id, { displayName: 'Before tampering' }));
    const [target] = dataOf(await auditLog({ action: 'user_update', first: 1 })).auditLog.edges.map((e) => e.node);
    const [newest] = dataOf(await auditLog({ first: 1 })).auditLog.edges.map((e) => e.node);
    expect(await verify()).toEqual({ valid: true, checked: Number(newest!.id), firstBrokenId: null });

    const id = Number(target!.id);
    // Someone with owner rights lifts the append-only trigger and rewrites history.
    await service.database.query(sql`alter table identity.audit_events disable trigger audit_events_no_change`);
    try {
      await service.database.query(sql`update identity.audit_events set metadata = '{"changes":{}}' where id = ${id}`);
      const brokenBefore = await verifications('broken');
      expect(await verify()).toEqual({ valid: false, checked: id, firstBrokenId: String(id) });
      // What the alert on a broken chain reads.
      expect(await verifications('broken')).toBe(brokenBefore + 1);
      expect(await auditChainBroken()).toBe(1);
    } finally {
      await service.database.query(sql`update identity.audit_events set metadata = ${JSON.stringify(target!.metadata)}::jsonb where id = ${id}`);
      await service.database.query(sql`alter table identity.audit_events enable trigger audit_events_no_change`);
    }
    expect((await verify()).valid).toBe(true);
    expect(await auditChainBroken()).toBe(0);
  });
});

describe('logs', () => {
  it('carry no passwords or tokens', async () => {
    const email = uniqueEmail('logged');
    const registered = dataOf(await register(email)).register;
    await login(email, 'a wrong password here');
    const refreshed = dataOf(await refresh(registered.refreshToken)).refreshToken;
    await refresh(registered.refreshToken);
    await gql('mutation { changePassword(currentPassword: "x", newPassword: "y") }', {}, { token: refreshed.accessToken });
    secrets.add('a wrong password here');
    const written = logLines.join('\n');
    expect(written).toContain('refresh token reused; session revoked');
    for (const secret of secrets) expect(written.includes(secret), 'a secret reached the logs').toBe(false);
  });
});

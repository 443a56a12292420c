import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit/env';
import { graphqlRequest } from '@voiceassist/testkit/graphql-client';
import { findPostgresTraces, findRedisTracesAt, type Trace } from '@voiceassist/testkit/traces';
import { must, registerAccount, type Account } from './testing/accounts.js';
import { DEPLOYED, routerSeesEverySubgraph, startDeployment, type DeployedName, type Deployment } from './testing/deployment.js';
import { waitUntil } from './testing/waiting.js';

// Deleting a person erases them everywhere, against the services as deployed (`pnpm build`
// output, one process each, PostgreSQL, a Redis of the suite's own): a person is given data in
// every subgraph through the router, deleted, and once identity reports the erasure complete,
// every table of every schema and every Redis key is scanned for their id, their email and a
// word only their text held. Also with voice stopped during the deletion (it catches up when
// started), and the export of a person's data compared with what they created. Needs PostgreSQL
// (DATABASE_URL): CI's second pass.

const PASSWORD = 'erasure ladder harbour 42';
const SUBGRAPHS = ['conversation', 'knowledge', 'voice', 'flags'] as const;
const SCHEMAS = ['identity', ...SUBGRAPHS];
/** How often every subgraph re-reads identity's erasures (pub/sub usually tells them at once). */
const SYNC_INTERVAL_MS = 1_000;
const COMPLETE_WITHIN_MS = 30_000;
/** The longest rate-limit window keyed by a user id (router and identity count per minute). */
const RATE_WINDOW_MS = 60_000;

/** What a person was given, to find again in their export and nowhere after their erasure. */
interface Footprint {
  account: Account;
  /** A word only this person's text holds. */
  marker: string;
  conversationId: string;
  question: string;
  reply: string;
  dictation: string;
  noteId: string;
  documentId: string;
  flagKey: string;
  scheduleId: string;
}

/** A marker word: letters only, so full-text search and speech take it as one word. */
const markerWord = () => `zq${randomUUID().replace(/[^a-f]/g, '').slice(0, 10)}word`;

describe.skipIf(!testEnv.DATABASE_URL)('erasure, services as deployed (skipped without DATABASE_URL: runs on PostgreSQL in CI’s second pass)', () => {
  let deployment: Deployment;
  let admin: Account;

  const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, token?: string) =>
    graphqlRequest<T>(`${deployment.urls.router}/graphql`, query, variables, { token });

  const register = (label: string): Promise<Account> => registerAccount(`${deployment.urls.router}/graphql`, label, PASSWORD);

  /** An ADMIN (documents are uploaded by admins), signed in again for a token that says so. */
  async function registerAdmin(label: string): Promise<Account> {
    const account = await register(label);
    must('promote', await gql(`mutation U($id: ID!) { updateUser(id: $id, input: { role: ADMIN }) { id } }`, { id: account.id }, admin.accessToken));
    const { login } = must('login', await gql<{ login: { accessToken: string } }>(`mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: account.email, p: PASSWORD }));
    return { ...account, accessToken: login.accessToken };
  }

  /** Data in every subgraph, through the router: what the erasure must find. */
  async function giveData(account: Account): Promise<Footprint> {
    const marker = markerWord();
    const token = account.accessToken;
    const question = `Which ${marker} dose lowers blood pressure?`;
    const { createConversation } = must('createConversation', await gql<{ createConversation: { id: string } }>(`mutation { createConversation { id } }`, {}, token));
    must('sendMessage', await gql(`mutation S($c: ID!, $t: String!) { sendMessage(conversationId: $c, content: $t, useKnowledge: false) { assistantMessage { id } } }`, { c: createConversation.id, t: question }, token));
    let reply = '';
    await waitUntil(
      'the reply is stored',
      async () => {
        const { conversation } = must(
          'read the conversation',
          await gql<{ conversation: { messages: { edges: Array<{ node: { role: string; status: string; content: string } }> } } }>(
            `query C($id: ID!) { conversation(id: $id) { messages { edges { node { role status content } } } } }`,
            { id: createConversation.id },
            token,
          ),
        );
        const answer = conversation.messages.edges.map((e) => e.node).find((m) => m.role === 'ASSISTANT');
        reply = answer?.content ?? '';
        return answer?.status === 'COMPLETE';
      },
      20_000,
    );

    must('updateVoicePreferences', await gql(`mutation { updateVoicePreferences(input: { rate: 1.25 }) { rate } }`, {}, token));
    must('synthesize', await gql(`mutation S($t: String!) { synthesize(text: $t) { durationMs } }`, { t: `Read the ${marker} chart aloud.` }, token));
    const { startDictation } = must('startDictation', await gql<{ startDictation: { id: string } }>(`mutation { startDictation { id } }`, {}, token));
    const dictation = `Patient reports ${marker} headaches. Plan: rest and fluids.`;
    must('appendDictation', await gql(`mutation A($s: ID!, $t: String!) { appendDictation(sessionId: $s, text: $t) { id } }`, { s: startDictation.id, t: dictation }, token));
    const { finishDictation } = must('finishDictation', await gql<{ finishDictation: { id: string } }>(`mutation F($s: ID!) { finishDictation(sessionId: $s) { id } }`, { s: startDictation.id }, token));

    // The organisation's document: kept after its uploader's erasure, so it holds nothing of theirs.
    const { ingestDocument } = must(
      'ingestDocument',
      await gql<{ ingestDocument: { id: string } }>(
        `mutation I($input: IngestDocumentInput!) { ingestDocument(input: $input) { id } }`,
        { input: { title: `Hypertension protocol ${randomUUID().slice(0, 8)}`, mimeType: 'text/plain', text: `Measure blood pressure twice, five minutes apart. Revision ${randomUUID()}.` } },
        token,
      ),
    );

    const flagKey = `erasure.beta-${randomUUID().slice(0, 8)}`;
    const rule = (values: string[]) => ({ kind: 'USER_ID_IN', values });
    must('createFlag', await gql(`mutation C($input: CreateFlagInput!) { createFlag(input: $input) { key } }`, { input: { key: flagKey, visibility: 'PUBLIC', enabled: true, rules: [rule([account.id])] } }, admin.accessToken));
    const { scheduleFlagChange } = must(
      'scheduleFlagChange',
      await gql<{ scheduleFlagChange: { id: string } }>(
        `mutation S($k: String!, $at: DateTime!, $input: UpdateFlagInput!) { scheduleFlagChange(key: $k, at: $at, input: $input) { id } }`,
        { k: flagKey, at: new Date(Date.now() + 3_600_000).toISOString(), input: { rules: [rule([account.id, admin.id])] } },
        admin.accessToken,
      ),
    );
    // A failed sign-in at their email: the email and address go into the audit log.
    await gql(`mutation L($e: String!) { login(email: $e, password: "not the password at all") { accessToken } }`, { e: account.email });
    return {
      account,
      marker,
      conversationId: createConversation.id,
      question,
      reply,
      dictation,
      noteId: finishDictation.id,
      documentId: ingestDocument.id,
      flagKey,
      scheduleId: scheduleFlagChange.id,
    };
  }

  const needles = (footprint: Footprint) => [footprint.account.id, footprint.account.email, footprint.marker];

  /** Everything left in the database and Redis that names the person or holds their words, but for audit entries keyed by their id. */
  async function traces(footprint: Footprint): Promise<Trace[]> {
    const [rows, keys] = await Promise.all([findPostgresTraces(deployment.databaseUrl, SCHEMAS, needles(footprint)), findRedisTracesAt(deployment.redis.url, needles(footprint))]);
    const pseudonymousAudit = (trace: Trace) => trace.where === 'identity.audit_events' && trace.needle === footprint.account.id;
    // The router's and identity's per-user request counters: a count under the id, gone when their minute ends.
    const expiringCounter = (trace: Trace) => trace.where.startsWith('redis:ratelimit:') && trace.ttlMs !== undefined && trace.ttlMs > 0 && trace.ttlMs <= RATE_WINDOW_MS;
    return [...rows.filter((trace) => !pseudonymousAudit(trace)), ...keys.filter((trace) => !expiringCounter(trace))];
  }

  const STATUS = `query S($u: ID!) { erasureStatus(userId: $u) { completedAt ${SUBGRAPHS.map((s) => `${s} { state at }`).join(' ')} } }`;
  type Progress = { state: string; at: string | null };
  type Status = { completedAt: string | null } & Record<(typeof SUBGRAPHS)[number], Progress>;

  async function awaitCompleteErasure(userId: string): Promise<Status> {
    let status: Status | null = null;
    await waitUntil(
      'erasureStatus reports every subgraph done',
      async () => {
        status = must('erasureStatus', await gql<{ erasureStatus: Status | null }>(STATUS, { u: userId }, admin.accessToken)).erasureStatus;
        return status?.completedAt != null;
      },
      COMPLETE_WITHIN_MS,
    );
    return status!;
  }

  const verifyAuditLog = async () => must('verifyAuditLog', await gql<{ verifyAuditLog: { valid: boolean } }>(`{ verifyAuditLog { valid } }`, {}, admin.accessToken)).verifyAuditLog.valid;

  beforeAll(async () => {
    const everywhere = { ERASURE_SYNC_INTERVAL_MS: String(SYNC_INTERVAL_MS) };
    deployment = await startDeployment({
      databaseUrl: testEnv.DATABASE_URL!,
      env: Object.fromEntries(
        (Object.keys(DEPLOYED) as DeployedName[]).map((name) => [name, name === 'identity' ? { ...everywhere, AUTH_THROTTLE_PER_MINUTE: '10000' } : everywhere]),
      ),
    });
    await waitUntil('the router finds every subgraph ready', () => routerSeesEverySubgraph(deployment.urls.router), 30_000);
    admin = await register('admin'); // the first account: SUPERADMIN
  }, 240_000);

  afterAll(async () => {
    await deployment?.stop();
  }, 60_000);

  it('exports what a person created, from every subgraph, as one document', async () => {
    const footprint = await giveData(await registerAdmin('exporter'));
    const { exportMyData } = must(
      'exportMyData',
      await gql<{ exportMyData: Record<string, unknown> & { userId: string } }>(`{ exportMyData { userId identity conversation voice knowledge flags } }`, {}, footprint.account.accessToken),
    );
    expect(exportMyData.userId).toBe(footprint.account.id);
    expect(exportMyData.identity).toMatchObject({ profile: { id: footprint.account.id, email: footprint.account.email } });
    expect(exportMyData.conversation).toMatchObject({
      conversations: [{ id: footprint.conversationId, messages: [{ role: 'USER', content: footprint.question }, { role: 'ASSISTANT', content: footprint.reply, status: 'COMPLETE' }] }],
      usage: [expect.objectContaining({ promptTokens: expect.any(Number) })],
    });
    expect(exportMyData.voice).toMatchObject({
      preferences: { rate: 1.25 },
      dictations: [{ status: 'FINISHED', note: { id: footprint.noteId, transcript: footprint.dictation } }],
    });
    expect(exportMyData.knowledge).toMatchObject({ documents: [{ id: footprint.documentId }] });
    expect(exportMyData.flags).toEqual({
      targetingRules: [{ flag: footprint.flagKey, ruleIndex: 0, kind: 'USER_ID_IN', enabled: true, variant: null }],
      pendingScheduledChanges: [expect.objectContaining({ id: footprint.scheduleId, flag: footprint.flagKey })],
    });
  }, 60_000);

  it('leaves nothing of a deleted person but pseudonymous audit entries, and the audit chain verifies', async () => {
    const footprint = await giveData(await registerAdmin('leaving'));
    // The scan finds what is there: the person is in the database and in Redis (their cached speech).
    const before = await traces(footprint);
    expect(new Set(before.map((t) => t.where.split('.')[0]!.split(':')[0]))).toEqual(new Set([...SCHEMAS, 'redis']));
    expect(before.some((t) => t.needle === footprint.marker)).toBe(true);

    must('deleteMe', await gql(`mutation D($p: String!) { deleteMe(password: $p) }`, { p: PASSWORD }, footprint.account.accessToken));
    const status = await awaitCompleteErasure(footprint.account.id);
    for (const subgraph of SUBGRAPHS) expect(status[subgraph], subgraph).toEqual({ state: 'DONE', at: expect.any(String) });

    expect(await traces(footprint)).toEqual([]);
    expect(await verifyAuditLog()).toBe(true);
  }, 90_000);

  it('erases a person in voice when voice was stopped during the deletion and started afterwards', async () => {
    const footprint = await giveData(await registerAdmin('away'));
    await deployment.kill('voice');
    must('deleteUser', await gql(`mutation D($id: ID!) { deleteUser(id: $id) }`, { id: footprint.account.id }, admin.accessToken));
    const others = `query S($u: ID!) { erasureStatus(userId: $u) { completedAt conversation { state } knowledge { state } flags { state } } }`;
    await waitUntil(
      'the running subgraphs erase',
      async () => {
        const status = must('erasureStatus', await gql<{ erasureStatus: { completedAt: string | null } & Record<string, { state: string }> }>(others, { u: footprint.account.id }, admin.accessToken)).erasureStatus;
        return ['conversation', 'knowledge', 'flags'].every((s) => status?.[s]?.state === 'DONE');
      },
      COMPLETE_WITHIN_MS,
    );
    // Without voice the erasure is not complete, and its data (and cached speech) is still there.
    expect(must('erasureStatus', await gql<{ erasureStatus: { completedAt: string | null } }>(others, { u: footprint.account.id }, admin.accessToken)).erasureStatus?.completedAt).toBeNull();
    expect(new Set((await traces(footprint)).map((t) => t.where.split(/[.:]/)[0]))).toEqual(new Set(['voice', 'redis']));

    await deployment.start('voice');
    await waitUntil('the router finds voice ready', () => routerSeesEverySubgraph(deployment.urls.router), 30_000);
    const status = await awaitCompleteErasure(footprint.account.id);
    expect(status.voice).toEqual({ state: 'DONE', at: expect.any(String) });
    expect(await traces(footprint)).toEqual([]);
    expect(await verifyAuditLog()).toBe(true);
  }, 120_000);
});

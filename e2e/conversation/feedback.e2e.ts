import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph } from '@voiceassist/test-supergraph';
import { errorOf } from '@voiceassist/testkit/graphql-client';
import { waitUntil } from '@voiceassist/testkit/wait';
import { Harness, wholeReply, type Account } from './harness.js';

// Ratings of replies, and the admin feedback summary and usage analytics (with voice minutes from
// the voice subgraph), through the real router: PGlite and in-process pub/sub, or PostgreSQL and
// Redis when CI sets them. Each suite has a database of its own, so the counts are exact.

let h: Harness;
let root: Account;
let admin: Account;
let alice: Account;
let bob: Account;
let reply: string;
let question: string;
const windowStart = new Date(Date.now() - 60_000);

const RATE = `mutation R($id: ID!, $rating: Rating!, $reason: FeedbackReason, $comment: String) {
  rateMessage(messageId: $id, rating: $rating, reason: $reason, comment: $comment) { id feedback { rating reason comment createdAt updatedAt } } }`;
const SUMMARY = `query S($from: DateTime, $to: DateTime) { feedbackSummary(from: $from, to: $to) {
  total positive negative positiveShare byReason { reason count } byModel { model positive negative } } }`;
const ANALYTICS = `query A($from: DateTime!, $to: DateTime!, $groupBy: UsageGrouping!) { usageAnalytics(from: $from, to: $to, groupBy: $groupBy) {
  groupBy buckets { key from to user { id } conversations messages promptTokens completionTokens tokens averageTimeToFirstTokenMs p95TimeToFirstTokenMs
  positiveRatings negativeRatings voiceMinutes } } }`;

interface Bucket {
  key: string;
  user: { id: string } | null;
  conversations: number;
  messages: number;
  tokens: number;
  promptTokens: number;
  completionTokens: number;
  averageTimeToFirstTokenMs: number | null;
  p95TimeToFirstTokenMs: number | null;
  positiveRatings: number;
  negativeRatings: number;
  voiceMinutes: number | null;
}

const analytics = async (account: Account, groupBy: string) =>
  (await h.data<{ usageAnalytics: { groupBy: string; buckets: Bucket[] } }>(ANALYTICS, { from: windowStart.toISOString(), to: new Date(Date.now() + 60_000).toISOString(), groupBy }, account.accessToken)).usageAnalytics;

beforeAll(async () => {
  const supergraph = await startSupergraph({
    subgraphs: ['identity', 'conversation', 'voice'],
    env: { identity: { AUTH_THROTTLE_PER_MINUTE: '10000' }, conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: '1' } },
  });
  h = new Harness(supergraph);
  root = await h.signUp('root');
  admin = await h.withRole(root, await h.signUp('admin'), 'ADMIN');
  alice = await h.signUp('alice');
  bob = await h.signUp('bob');

  const conversationId = await h.createConversation(alice, 'Rounds');
  const sent = await h.send(alice, conversationId, 'What is the first line treatment for hypertension?', false);
  const client = h.client(alice);
  try {
    await wholeReply(client, sent.assistantMessage.id);
  } finally {
    await client.dispose();
  }
  reply = sent.assistantMessage.id;
  question = sent.userMessage.id;

  // Ten seconds or so of dictated audio for the voice minutes.
  const { synthesize } = await h.data<{ synthesize: { base64: string; durationMs: number } }>('mutation { synthesize(text: "hello world this is a test") { base64 durationMs } }', {}, alice.accessToken);
  const { startDictation } = await h.data<{ startDictation: { id: string } }>('mutation { startDictation { id } }', {}, alice.accessToken);
  await h.data('mutation A($id: ID!, $audio: AudioInput) { appendDictation(sessionId: $id, audio: $audio) { id } }', { id: startDictation.id, audio: { base64: synthesize.base64, mimeType: 'audio/wav' } }, alice.accessToken);
}, 120_000);

afterAll(async () => {
  await h?.supergraph.stop();
});

describe('rating replies', () => {
  it('lets the owner rate their reply, and rating again replaces the rating', async () => {
    const first = (await h.data<{ rateMessage: { id: string; feedback: { rating: string; reason: string | null; comment: string | null; createdAt: string; updatedAt: string } } }>(RATE, { id: reply, rating: 'POSITIVE', comment: '  Clear and cited.  ' }, alice.accessToken)).rateMessage;
    expect(first).toMatchObject({ id: reply, feedback: { rating: 'POSITIVE', reason: null, comment: 'Clear and cited.' } });

    const second = (await h.data<{ rateMessage: typeof first }>(RATE, { id: reply, rating: 'NEGATIVE', reason: 'INACCURATE' }, alice.accessToken)).rateMessage;
    expect(second.feedback).toMatchObject({ rating: 'NEGATIVE', reason: 'INACCURATE', comment: null, createdAt: first.feedback.createdAt });
    expect(Date.parse(second.feedback.updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.feedback.updatedAt));

    const { conversations } = await h.data<{ conversations: { edges: Array<{ node: { messages: { edges: Array<{ node: { id: string; feedback: { rating: string } | null } }> } } }> } }>(
      '{ conversations { edges { node { messages { edges { node { id feedback { rating } } } } } } } }',
      {},
      alice.accessToken,
    );
    expect(conversations.edges[0]!.node.messages.edges.map((e) => e.node)).toEqual([
      { id: question, feedback: null },
      { id: reply, feedback: { rating: 'NEGATIVE' } },
    ]);
  });

  it("refuses others' replies, user messages and overlong comments, changing nothing", async () => {
    expect(errorOf(await h.gql(RATE, { id: reply, rating: 'POSITIVE' }, bob.accessToken))).toMatchObject({ code: 'NOT_FOUND' });
    expect(errorOf(await h.gql(RATE, { id: reply, rating: 'POSITIVE' }, admin.accessToken))).toMatchObject({ code: 'NOT_FOUND' });
    expect(errorOf(await h.gql(RATE, { id: reply, rating: 'POSITIVE' }))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(errorOf(await h.gql(RATE, { id: question, rating: 'POSITIVE' }, alice.accessToken)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'messageId' });
    expect(errorOf(await h.gql(RATE, { id: reply, rating: 'POSITIVE', comment: 'x'.repeat(2001) }, alice.accessToken)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'comment' });
    const { feedbackSummary } = await h.data<{ feedbackSummary: { total: number; negative: number } }>(SUMMARY, {}, admin.accessToken);
    expect(feedbackSummary).toMatchObject({ total: 1, negative: 1 });
  });
});

describe('admin feedback and analytics', () => {
  it('summarises ratings for admins only', async () => {
    const { feedbackSummary } = await h.data<{ feedbackSummary: unknown }>(SUMMARY, {}, admin.accessToken);
    expect(feedbackSummary).toEqual({
      total: 1,
      positive: 0,
      negative: 1,
      positiveShare: 0,
      byReason: [{ reason: 'INACCURATE', count: 1 }],
      byModel: [{ model: expect.any(String) as string, positive: 0, negative: 1 }],
    });
    for (const account of [alice, bob]) expect(errorOf(await h.gql(SUMMARY, {}, account.accessToken)).code).toBe('FORBIDDEN');
    expect(errorOf(await h.gql(SUMMARY, {})).code).toBe('UNAUTHENTICATED');
    expect(errorOf(await h.gql(SUMMARY, { from: '2026-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }, admin.accessToken)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
  });

  it('aggregates usage by day, user and model, with voice minutes, for admins only', async () => {
    const byDay = await analytics(admin, 'DAY');
    const today = byDay.buckets.find((b) => b.key === new Date().toISOString().slice(0, 10))!;
    expect(today).toMatchObject({ conversations: 1, messages: 2, positiveRatings: 0, negativeRatings: 1, user: null });
    expect(today.tokens).toBe(today.promptTokens + today.completionTokens);
    expect(today.tokens).toBeGreaterThan(0);
    expect(today.averageTimeToFirstTokenMs).toBeGreaterThanOrEqual(0);
    expect(today.voiceMinutes).toBeGreaterThan(0.02);
    expect(today.voiceMinutes).toBeLessThan(1);

    const byUser = await analytics(admin, 'USER');
    expect(byUser.buckets).toHaveLength(1);
    expect(byUser.buckets[0]).toMatchObject({ key: alice.id, user: { id: alice.id }, conversations: 1, messages: 2, tokens: today.tokens, negativeRatings: 1, voiceMinutes: today.voiceMinutes });

    const byModel = await analytics(admin, 'MODEL');
    expect(byModel.buckets).toHaveLength(1);
    expect(byModel.buckets[0]).toMatchObject({ conversations: 1, messages: 1, tokens: today.tokens, negativeRatings: 1, voiceMinutes: null, user: null });

    for (const account of [alice, bob]) expect(errorOf(await h.gql(ANALYTICS, { from: windowStart.toISOString(), to: new Date().toISOString(), groupBy: 'USER' }, account.accessToken)).code).toBe('FORBIDDEN');
  });

  it('never shows a bucket to a non-admin who asks the voice subgraph for it as an entity', async () => {
    const voiceUrl = h.supergraph.subgraphs.voice!.url;
    const response = await fetch(`${voiceUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bob.accessToken}` },
      body: JSON.stringify({
        query: 'query E($r: [_Any!]!) { _entities(representations: $r) { ... on UsageAnalyticsBucket { voiceMinutes } } }',
        variables: { r: [{ __typename: 'UsageAnalyticsBucket', groupBy: 'USER', key: alice.id, from: windowStart.toISOString(), to: new Date().toISOString() }] },
      }),
    });
    const body = (await response.json()) as { data?: { _entities: Array<{ voiceMinutes: number | null } | null> }; errors?: Array<{ extensions?: { code?: string } }> };
    expect(body.data?._entities?.[0]?.voiceMinutes ?? null).toBeNull();
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('erases the ratings with the person', async () => {
    await h.data('mutation D($id: ID!) { deleteUser(id: $id) }', { id: alice.id }, root.accessToken);
    await waitUntil(async () => {
      const { erasureStatus } = await h.data<{ erasureStatus: { conversation: { state: string } } | null }>('query S($u: ID!) { erasureStatus(userId: $u) { conversation { state } } }', { u: alice.id }, root.accessToken);
      return erasureStatus?.conversation.state === 'DONE';
    }, 20_000);
    const { feedbackSummary } = await h.data<{ feedbackSummary: { total: number } }>(SUMMARY, {}, admin.accessToken);
    expect(feedbackSummary.total).toBe(0);
    const byUser = await analytics(admin, 'USER');
    expect(byUser.buckets.filter((b) => b.key === alice.id && (b.messages > 0 || b.negativeRatings > 0 || b.tokens > 0))).toEqual([]);
  });
});

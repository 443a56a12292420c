import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalytics, type Analytics } from './analytics.js';
import { conversations, messageRatings, messages, tokenUsage } from './db/schema.js';
import { checkRange } from './feedback.js';
import { openTestDatabase } from '@voiceassist/testkit/database';
import { conversationDatabase } from './db/database.js';

// usageAnalytics' SQL on a known history: two users, two models, three days (one quiet), on
// PGlite or (with DATABASE_URL) PostgreSQL.

const day = (d: number, hour = 12) => new Date(Date.UTC(2026, 2, d, hour));
const alice = randomUUID();
const bob = randomUUID();

let db: Awaited<ReturnType<typeof openTestDatabase>>;
let analytics: Analytics;

async function exchange(ownerId: string, at: Date, model: string, firstTokenMs: number, tokens: [number, number], rating?: 'POSITIVE' | 'NEGATIVE') {
  const { db: database } = db.database;
  const [conversation] = await database.insert(conversations).values({ ownerId, title: 't', createdAt: at, updatedAt: at }).returning();
  const [, reply] = await database
    .insert(messages)
    .values([
      { conversationId: conversation!.id, position: 0, role: 'USER', content: 'q', status: 'COMPLETE', createdAt: at, updatedAt: at },
      { conversationId: conversation!.id, position: 1, role: 'ASSISTANT', content: 'a', status: 'COMPLETE', model, firstTokenMs, createdAt: at, updatedAt: at },
    ])
    .returning();
  await database.insert(tokenUsage).values({ userId: ownerId, messageId: reply!.id, promptTokens: tokens[0], completionTokens: tokens[1], model, createdAt: at });
  if (rating) await database.insert(messageRatings).values({ messageId: reply!.id, userId: ownerId, rating, createdAt: at, updatedAt: at });
}

beforeAll(async () => {
  db = await openTestDatabase(conversationDatabase);
  analytics = createAnalytics(db.database.db);
  await exchange(alice, day(1, 9), 'model-a', 100, [10, 5], 'POSITIVE');
  await exchange(alice, day(1, 23), 'model-b', 300, [20, 10], 'NEGATIVE');
  await exchange(bob, day(3), 'model-a', 200, [1, 1]);
  // Outside the window asked below.
  await exchange(bob, day(4), 'model-a', 900, [1000, 1000], 'NEGATIVE');
});

afterAll(async () => {
  await db?.close();
});

const range = { from: day(1, 0), to: day(4, 0) };

describe('usage analytics', () => {
  it('has a bucket for every UTC day of the window, quiet days included, and nothing from outside it', async () => {
    const buckets = await analytics.usage('DAY', range);
    expect(buckets.map((b) => [b.key, b.conversations, b.messages, b.tokens, b.averageTimeToFirstTokenMs, b.positiveRatings, b.negativeRatings])).toEqual([
      ['2026-03-01', 2, 4, 45, 200, 1, 1],
      ['2026-03-02', 0, 0, 0, null, 0, 0],
      ['2026-03-03', 1, 2, 2, 200, 0, 0],
    ]);
    expect(buckets[1]).toMatchObject({ from: day(2, 0), to: day(3, 0) });
  });

  it('groups by user and by model, most tokens first', async () => {
    const byUser = await analytics.usage('USER', range);
    expect(byUser.map((b) => [b.key, b.conversations, b.messages, b.promptTokens, b.completionTokens])).toEqual([
      [alice, 2, 4, 30, 15],
      [bob, 1, 2, 1, 1],
    ]);
    const byModel = await analytics.usage('MODEL', range);
    expect(byModel.map((b) => [b.key, b.conversations, b.messages, b.tokens, b.averageTimeToFirstTokenMs, b.positiveRatings, b.negativeRatings])).toEqual([
      ['model-b', 1, 1, 30, 300, 0, 1],
      ['model-a', 2, 2, 17, 150, 1, 0],
    ]);
    expect(byModel[1]!.p95TimeToFirstTokenMs).toBeCloseTo(195, 5);
  });

  it('refuses windows that are empty, reversed or longer than 366 days, naming the field', () => {
    expect(() => checkRange(day(2), day(1))).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'from' }) }));
    expect(() => checkRange(new Date('2024-01-01'), new Date('2025-06-01'))).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'to' }) }));
    const fallback = checkRange(undefined, day(31));
    expect(fallback.to.getTime() - fallback.from.getTime()).toBe(30 * 86_400_000);
  });
});

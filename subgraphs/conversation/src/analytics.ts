import { and, count, eq, gte, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Database } from '@voiceassist/database';
import { conversations, messageRatings, messages, tokenUsage } from './db/schema.js';

export type UsageGrouping = 'DAY' | 'USER' | 'MODEL';

/** One row of usageAnalytics: a UTC day, a user or a model, over its window [from, to). */
export interface UsageBucket {
  groupBy: UsageGrouping;
  /** YYYY-MM-DD, a user id, or a model name. */
  key: string;
  from: Date;
  to: Date;
  conversations: number;
  messages: number;
  promptTokens: number;
  completionTokens: number;
  tokens: number;
  averageTimeToFirstTokenMs: number | null;
  p95TimeToFirstTokenMs: number | null;
  positiveRatings: number;
  negativeRatings: number;
}

const DAY_MS = 86_400_000;
const utcDay = (column: PgColumn) => sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD')`;
const asText = (column: PgColumn) => sql<string>`${column}::text`;
const within = (column: PgColumn, range: { from: Date; to: Date }) => and(gte(column, range.from), lt(column, range.to));

/** The UTC days that [from, to) touches, each clipped to the range. */
function daysOf(range: { from: Date; to: Date }): Array<{ key: string; from: Date; to: Date }> {
  const days = [];
  for (let start = Math.floor(range.from.getTime() / DAY_MS) * DAY_MS; start < range.to.getTime(); start += DAY_MS) {
    days.push({ key: new Date(start).toISOString().slice(0, 10), from: new Date(Math.max(start, range.from.getTime())), to: new Date(Math.min(start + DAY_MS, range.to.getTime())) });
  }
  return days;
}

/**
 * Admin analytics, each figure a GROUP BY in SQL: conversations started, messages written (for
 * MODEL: the model's replies, and conversations it replied in), tokens charged (token_usage, which
 * outlives deleted conversations), time to first token of replies, and ratings given, per bucket.
 */
export function createAnalytics(db: Database) {
  async function conversationCounts(groupBy: UsageGrouping, range: { from: Date; to: Date }) {
    if (groupBy === 'MODEL') return [];
    const key = groupBy === 'DAY' ? utcDay(conversations.createdAt) : asText(conversations.ownerId);
    return db.select({ key, conversations: count() }).from(conversations).where(within(conversations.createdAt, range)).groupBy(sql`1`);
  }

  async function messageFigures(groupBy: UsageGrouping, range: { from: Date; to: Date }) {
    const key = groupBy === 'DAY' ? utcDay(messages.createdAt) : groupBy === 'USER' ? asText(conversations.ownerId) : sql<string>`${messages.model}`;
    const conditions: Array<SQL | undefined> = [within(messages.createdAt, range)];
    if (groupBy === 'MODEL') conditions.push(eq(messages.role, 'ASSISTANT'), isNotNull(messages.model));
    return db
      .select({
        key,
        messages: count(),
        conversations: sql<number>`count(distinct ${messages.conversationId})`.mapWith(Number),
        averageTimeToFirstTokenMs: sql<number | null>`avg(${messages.firstTokenMs})`.mapWith((v) => (v === null ? null : Number(v))),
        p95TimeToFirstTokenMs: sql<number | null>`percentile_cont(0.95) within group (order by ${messages.firstTokenMs})`.mapWith((v) => (v === null ? null : Number(v))),
      })
      .from(messages)
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .where(and(...conditions))
      .groupBy(sql`1`);
  }

  async function tokenFigures(groupBy: UsageGrouping, range: { from: Date; to: Date }) {
    const key = groupBy === 'DAY' ? utcDay(tokenUsage.createdAt) : groupBy === 'USER' ? asText(tokenUsage.userId) : sql<string>`${tokenUsage.model}`;
    return db
      .select({
        key,
        promptTokens: sql<number>`coalesce(sum(${tokenUsage.promptTokens}), 0)`.mapWith(Number),
        completionTokens: sql<number>`coalesce(sum(${tokenUsage.completionTokens}), 0)`.mapWith(Number),
      })
      .from(tokenUsage)
      .where(within(tokenUsage.createdAt, range))
      .groupBy(sql`1`);
  }

  async function ratingFigures(groupBy: UsageGrouping, range: { from: Date; to: Date }) {
    const key = groupBy === 'DAY' ? utcDay(messageRatings.updatedAt) : groupBy === 'USER' ? asText(messageRatings.userId) : sql<string>`coalesce(${messages.model}, 'unknown')`;
    return db
      .select({
        key,
        positiveRatings: sql<number>`count(*) filter (where ${messageRatings.rating} = 'POSITIVE')`.mapWith(Number),
        negativeRatings: sql<number>`count(*) filter (where ${messageRatings.rating} = 'NEGATIVE')`.mapWith(Number),
      })
      .from(messageRatings)
      .innerJoin(messages, eq(messages.id, messageRatings.messageId))
      .where(within(messageRatings.updatedAt, range))
      .groupBy(sql`1`);
  }

  return {
    async usage(groupBy: UsageGrouping, range: { from: Date; to: Date }): Promise<UsageBucket[]> {
      const [started, written, spent, rated] = await Promise.all([
        conversationCounts(groupBy, range),
        messageFigures(groupBy, range),
        tokenFigures(groupBy, range),
        ratingFigures(groupBy, range),
      ]);
      const buckets = new Map<string, UsageBucket>();
      const bucket = (key: string, window = range) => {
        let found = buckets.get(key);
        if (!found) {
          found = { groupBy, key, from: window.from, to: window.to, conversations: 0, messages: 0, promptTokens: 0, completionTokens: 0, tokens: 0, averageTimeToFirstTokenMs: null, p95TimeToFirstTokenMs: null, positiveRatings: 0, negativeRatings: 0 };
          buckets.set(key, found);
        }
        return found;
      };
      // Every day of the range is a row, quiet ones too, so a chart has no gaps.
      if (groupBy === 'DAY') for (const day of daysOf(range)) bucket(day.key, day);
      for (const row of started) bucket(row.key).conversations = row.conversations;
      for (const row of written) {
        const b = bucket(row.key);
        b.messages = row.messages;
        if (groupBy === 'MODEL') b.conversations = row.conversations;
        b.averageTimeToFirstTokenMs = row.averageTimeToFirstTokenMs === null ? null : Math.round(row.averageTimeToFirstTokenMs * 10) / 10;
        b.p95TimeToFirstTokenMs = row.p95TimeToFirstTokenMs;
      }
      for (const row of spent) Object.assign(bucket(row.key), { promptTokens: row.promptTokens, completionTokens: row.completionTokens, tokens: row.promptTokens + row.completionTokens });
      for (const row of rated) Object.assign(bucket(row.key), { positiveRatings: row.positiveRatings, negativeRatings: row.negativeRatings });
      const rows = [...buckets.values()];
      return groupBy === 'DAY' ? rows.sort((a, b) => a.key.localeCompare(b.key)) : rows.sort((a, b) => b.tokens - a.tokens || b.messages - a.messages || a.key.localeCompare(b.key));
    },
  };
}

export type Analytics = ReturnType<typeof createAnalytics>;

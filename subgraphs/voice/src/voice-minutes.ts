import DataLoader from 'dataloader';
import { and, gte, inArray, lt, sql } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { dictationSessions } from './db/schema.js';

/** A usageAnalytics bucket as conversation's router fetch names it (its key fields). */
export interface UsageBucketRef {
  groupBy: 'DAY' | 'USER' | 'MODEL';
  key: string;
  from: string;
  to: string;
}

const minutesOf = (ms: number) => Math.round((ms / 60_000) * 100) / 100;

/**
 * Minutes of audio dictated (dictation sessions' durationMs, by when the session started) for the
 * buckets of one usageAnalytics answer, in one GROUP BY per grouping. MODEL buckets have none (null).
 */
export function voiceMinutesLoader(db: Database) {
  return new DataLoader<UsageBucketRef, number | null, string>(
    async (buckets) => {
      const minutes = new Map<string, number>();
      const days = buckets.filter((b) => b.groupBy === 'DAY');
      if (days.length) {
        const from = new Date(Math.min(...days.map((b) => Date.parse(b.from))));
        const to = new Date(Math.max(...days.map((b) => Date.parse(b.to))));
        const rows = await db
          .select({ key: sql<string>`to_char(${dictationSessions.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`, ms: sql<number>`sum(${dictationSessions.durationMs})`.mapWith(Number) })
          .from(dictationSessions)
          .where(and(gte(dictationSessions.createdAt, from), lt(dictationSessions.createdAt, to)))
          .groupBy(sql`1`);
        for (const row of rows) minutes.set(`DAY:${row.key}`, row.ms);
      }
      // USER buckets of one answer share a window; group by it anyway, should a client mix answers.
      const userWindows = new Map<string, UsageBucketRef[]>();
      for (const b of buckets.filter((b) => b.groupBy === 'USER')) userWindows.set(`${b.from}|${b.to}`, [...(userWindows.get(`${b.from}|${b.to}`) ?? []), b]);
      for (const group of userWindows.values()) {
        const { from, to } = group[0]!;
        const ids = group.map((b) => b.key).filter((id) => /^[0-9a-f-]{36}$/i.test(id));
        if (!ids.length) continue;
        const rows = await db
          .select({ key: sql<string>`${dictationSessions.userId}::text`, ms: sql<number>`sum(${dictationSessions.durationMs})`.mapWith(Number) })
          .from(dictationSessions)
          .where(and(inArray(dictationSessions.userId, ids), gte(dictationSessions.createdAt, new Date(from)), lt(dictationSessions.createdAt, new Date(to))))
          .groupBy(sql`1`);
        for (const row of rows) minutes.set(`USER:${row.key}:${from}|${to}`, row.ms);
      }
      return buckets.map((b) => {
        if (b.groupBy === 'MODEL') return null;
        const ms = minutes.get(b.groupBy === 'DAY' ? `DAY:${b.key}` : `USER:${b.key}:${b.from}|${b.to}`) ?? 0;
        return minutesOf(ms);
      });
    },
    { cacheKeyFn: (b) => `${b.groupBy}:${b.key}:${b.from}|${b.to}` },
  );
}

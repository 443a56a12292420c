import { and, count, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { badUserInput, conflict } from '@voiceassist/errors';
import type { Database } from '@voiceassist/database';
import type { OwnedMessage } from './conversations.js';
import { messageRatings, messages, type MessageRatingRow } from './db/schema.js';

export const MAX_COMMENT_CHARS = 2_000;
/** The widest window analytics and summaries aggregate over. */
export const MAX_RANGE_DAYS = 366;

export type Rating = MessageRatingRow['rating'];
export type FeedbackReason = NonNullable<MessageRatingRow['reason']>;

export interface RatingInput {
  rating: Rating;
  reason?: FeedbackReason | null;
  comment?: string | null;
}

function checkComment(comment: string | null | undefined): string | null {
  if (comment === null || comment === undefined || !comment.trim()) return null;
  if ([...comment].length > MAX_COMMENT_CHARS) throw badUserInput(`comment must be at most ${MAX_COMMENT_CHARS.toLocaleString('en-US')} characters`, 'comment');
  if (comment.includes('\u0000')) throw badUserInput('comment must not contain NUL characters', 'comment');
  return comment.trim();
}

/** `from` before `to`, at most MAX_RANGE_DAYS apart; `to` defaults to now and `from` to 30 days before it. */
export function checkRange(from: Date | null | undefined, to: Date | null | undefined): { from: Date; to: Date } {
  const end = to ?? new Date();
  const start = from ?? new Date(end.getTime() - 30 * 86_400_000);
  if (start >= end) throw badUserInput('from must be before to', 'from');
  if (end.getTime() - start.getTime() > MAX_RANGE_DAYS * 86_400_000) throw badUserInput(`from and to must be at most ${MAX_RANGE_DAYS} days apart`, 'to');
  return { from: start, to: end };
}

export function createFeedback(db: Database) {
  return {
    /** The owner's rating of their assistant reply; rating again replaces it. */
    async rate(message: OwnedMessage, input: RatingInput): Promise<MessageRatingRow> {
      if (message.role !== 'ASSISTANT') throw badUserInput('only assistant replies can be rated', 'messageId');
      if (message.status === 'STREAMING') throw conflict('the reply is still being generated; rate it once it has ended');
      const comment = checkComment(input.comment);
      const now = new Date();
      const values = { rating: input.rating, reason: input.reason ?? null, comment, updatedAt: now };
      const [row] = await db
        .insert(messageRatings)
        .values({ messageId: message.id, userId: message.ownerId, createdAt: now, ...values })
        .onConflictDoUpdate({ target: messageRatings.messageId, set: values })
        .returning();
      return row!;
    },

    async ofMessages(ids: readonly string[]): Promise<MessageRatingRow[]> {
      return ids.length ? db.select().from(messageRatings).where(inArray(messageRatings.messageId, [...ids])) : [];
    },

    /** Ratings last given in [from, to): totals, by reason and by the model that wrote the reply. Counts only: no comments, no people. */
    async summary(range: { from: Date; to: Date }) {
      const within = and(gte(messageRatings.updatedAt, range.from), lt(messageRatings.updatedAt, range.to));
      const [byRating, byReason, byModel] = await Promise.all([
        db.select({ rating: messageRatings.rating, count: count() }).from(messageRatings).where(within).groupBy(messageRatings.rating),
        db
          .select({ reason: messageRatings.reason, count: count() })
          .from(messageRatings)
          .where(and(within, sql`${messageRatings.reason} is not null`))
          .groupBy(messageRatings.reason),
        db
          .select({
            model: sql<string>`coalesce(${messages.model}, 'unknown')`,
            positive: sql<number>`count(*) filter (where ${messageRatings.rating} = 'POSITIVE')`.mapWith(Number),
            negative: sql<number>`count(*) filter (where ${messageRatings.rating} = 'NEGATIVE')`.mapWith(Number),
          })
          .from(messageRatings)
          .innerJoin(messages, eq(messages.id, messageRatings.messageId))
          .where(within)
          .groupBy(sql`1`),
      ]);
      const positive = byRating.find((r) => r.rating === 'POSITIVE')?.count ?? 0;
      const negative = byRating.find((r) => r.rating === 'NEGATIVE')?.count ?? 0;
      const total = positive + negative;
      return {
        ...range,
        total,
        positive,
        negative,
        positiveShare: total ? positive / total : null,
        byReason: byReason.map((r) => ({ reason: r.reason!, count: r.count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
        byModel: byModel.sort((a, b) => a.model.localeCompare(b.model)),
      };
    },
  };
}

export type Feedback = ReturnType<typeof createFeedback>;

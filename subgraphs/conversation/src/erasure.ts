import { asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import type { Chat } from './chat.js';
import { conversations, erasedUsers, messageRatings, messages, replyPrompts, tokenUsage } from './db/schema.js';

const iso = (date: Date | null) => date?.toISOString() ?? null;

/**
 * What deleting a person means here: their conversations, messages, ratings, reply prompts and usage rows
 * go in one transaction (with the erasure recorded, so a reply finishing meanwhile records no new
 * usage), then their replies' token logs in Redis.
 */
export function createConversationErasure(deps: { db: Database; chat: Pick<Chat, 'forgetMessages'> }) {
  const { db, chat } = deps;
  return {
    /** Idempotent: a second run finds nothing left. */
    async erase(userId: string): Promise<void> {
      const gone = await db.transaction(async (tx) => {
        // First, so a generation committing after this sees the person is gone (usage.record checks).
        await tx.insert(erasedUsers).values({ userId, erasedAt: new Date() }).onConflictDoNothing();
        const owned = tx.select({ id: conversations.id }).from(conversations).where(eq(conversations.ownerId, userId));
        const removed = await tx.select({ id: messages.id, status: messages.status }).from(messages).where(inArray(messages.conversationId, owned));
        // Messages and their reply prompts go with the conversations (foreign keys cascade).
        await tx.delete(conversations).where(eq(conversations.ownerId, userId));
        await tx.delete(replyPrompts).where(eq(replyPrompts.userId, userId));
        // Ratings go with their messages (foreign key); by person as well, so none outlives them whatever the message.
        await tx.delete(messageRatings).where(eq(messageRatings.userId, userId));
        await tx.delete(tokenUsage).where(eq(tokenUsage.userId, userId));
        return removed;
      });
      await chat.forgetMessages(gone);
    },

    /** Everything held about the person: conversations with their running summaries and messages, their ratings, and usage rows. */
    async exportData(userId: string) {
      const owned = await db.select().from(conversations).where(eq(conversations.ownerId, userId)).orderBy(asc(conversations.createdAt), asc(conversations.id));
      const rows = owned.length
        ? await db.select().from(messages).where(inArray(messages.conversationId, owned.map((c) => c.id))).orderBy(asc(messages.position))
        : [];
      const usage = await db.select().from(tokenUsage).where(eq(tokenUsage.userId, userId)).orderBy(asc(tokenUsage.createdAt));
      const ratings = await db.select().from(messageRatings).where(eq(messageRatings.userId, userId)).orderBy(asc(messageRatings.createdAt));
      return {
        conversations: owned.map((c) => ({
          id: c.id,
          title: c.title,
          archived: c.archived,
          createdAt: iso(c.createdAt),
          updatedAt: iso(c.updatedAt),
          memorySummary: c.memorySummary,
          messages: rows
            .filter((m) => m.conversationId === c.id)
            .map((m) => ({
              id: m.id,
              role: m.role,
              content: m.content,
              status: m.status,
              citations: m.citations,
              model: m.model,
              promptTokens: m.promptTokens,
              completionTokens: m.completionTokens,
              createdAt: iso(m.createdAt),
            })),
        })),
        ratings: ratings.map((r) => ({ messageId: r.messageId, rating: r.rating, reason: r.reason, comment: r.comment, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) })),
        usage: usage.map((u) => ({ messageId: u.messageId, promptTokens: u.promptTokens, completionTokens: u.completionTokens, model: u.model, createdAt: iso(u.createdAt) })),
      };
    },
  };
}

export type ConversationErasure = ReturnType<typeof createConversationErasure>;

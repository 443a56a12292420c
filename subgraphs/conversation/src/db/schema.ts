import { sql } from 'drizzle-orm';
import { erasedUsersTable } from '@voiceassist/database/erased-users';
import { boolean, index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const conversationSchema = pgSchema('conversation');

export const messageRoleEnum = conversationSchema.enum('message_role', ['USER', 'ASSISTANT', 'SYSTEM']);
export const messageStatusEnum = conversationSchema.enum('message_status', ['STREAMING', 'COMPLETE', 'CANCELLED', 'FAILED']);

// Millisecond timestamps set by the app, so keyset cursors round-trip exactly.
const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const now = () => new Date();

export const conversations = conversationSchema.table(
  'conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** identity's user id; the only one who may see or change the conversation. */
    ownerId: uuid('owner_id').notNull(),
    title: text('title').notNull(),
    /** Created without a title: the first message names it. */
    untitled: boolean('untitled').notNull().default(false),
    archived: boolean('archived').notNull().default(false),
    createdAt: timestampColumn('created_at').notNull().$defaultFn(now),
    /** Bumped by every message, so the most recently active come first. */
    updatedAt: timestampColumn('updated_at').notNull().$defaultFn(now),
    /** The running summary of the messages older than the prompt's history window (see memory.ts). */
    memorySummary: text('memory_summary').notNull().default(''),
    /** Position of the last message folded into the summary; -1 before any. */
    summarizedThrough: integer('summarized_through').notNull().default(-1),
  },
  (t) => [
    index('conversations_owner_updated_idx').on(t.ownerId, t.updatedAt, t.id),
    index('conversations_title_search_idx').using('gin', sql`to_tsvector('english', ${t.title})`),
    // Admin analytics count by creation time.
    index('conversations_created_idx').on(t.createdAt),
  ],
);

export const messages = conversationSchema.table(
  'messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    /** Order within the conversation; a regenerated reply takes the place of the one it replaces. */
    position: integer('position').notNull(),
    role: messageRoleEnum('role').notNull(),
    content: text('content').notNull().default(''),
    status: messageStatusEnum('status').notNull(),
    /** Whether the reply searches the knowledge base (asked with the message; kept for regenerate). */
    useKnowledge: boolean('use_knowledge').notNull().default(true),
    /** Knowledge citation (chunk) ids the reply drew on, best first. */
    citations: jsonb('citations').$type<string[]>().notNull().default([]),
    /** Each [n] of the reply, checked against its passage (n-th of `citations`) when the reply ended. */
    citationChecks: jsonb('citation_checks').$type<Array<{ marker: number; passageId: string; verified: boolean }>>().notNull().default([]),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    model: text('model'),
    /** Milliseconds from the start of a reply's generation to its first token (analytics); null for user messages and replies without one. */
    firstTokenMs: integer('first_token_ms'),
    /** Error code of a FAILED generation (PROVIDER_UNAVAILABLE). */
    errorCode: text('error_code'),
    /**
     * The replica generating a STREAMING reply (its lease). Claimed with a conditional UPDATE, so
     * exactly one replica writes the reply; null until its generator starts.
     */
    generatorId: text('generator_id'),
    /** When the generator last renewed its lease, on the database's clock (replicas' clocks may differ). */
    leaseRenewedAt: timestamp('lease_renewed_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** Tokens the generator had appended to the reply's token log at its last renewal: a takeover finding fewer knows the log lost some. */
    streamedTokens: integer('streamed_tokens').notNull().default(0),
    createdAt: timestampColumn('created_at').notNull().$defaultFn(now),
    updatedAt: timestampColumn('updated_at').notNull().$defaultFn(now),
  },
  (t) => [
    uniqueIndex('messages_conversation_position_key').on(t.conversationId, t.position),
    index('messages_streaming_idx').on(t.conversationId).where(sql`${t.status} = 'STREAMING'`),
    index('messages_content_search_idx').using('gin', sql`to_tsvector('english', ${t.content})`),
    index('messages_created_idx').on(t.createdAt),
  ],
);

/**
 * What a reply's generator needs to rebuild its prompt on another replica (which cannot search
 * knowledge again without the caller's token): written when the generation starts, removed when
 * the reply ends. Holds document text, like the messages themselves.
 */
export const replyPrompts = conversationSchema.table('reply_prompts', {
  messageId: uuid('message_id')
    .primaryKey()
    .references(() => messages.id, { onDelete: 'cascade' }),
  /** Whose budget the reply is charged to. */
  userId: uuid('user_id').notNull(),
  /** The prompt as sent to the provider: instructions with the passages, history, question. */
  prompt: jsonb('prompt').$type<Array<{ role: 'system' | 'user' | 'assistant'; content: string }>>().notNull(),
  /** The passages retrieved for it (the embedded provider answers from them; they are the citations). */
  passages: jsonb('passages').$type<Array<{ id: string; text: string; title?: string | undefined }>>().notNull(),
  createdAt: timestampColumn('created_at').notNull().$defaultFn(now),
});

/**
 * Tokens spent, one row per generation. Holds no text and outlives deleted conversations, so
 * deleting a conversation does not give its tokens back.
 */
export const tokenUsage = conversationSchema.table(
  'token_usage',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').notNull(),
    messageId: uuid('message_id').notNull(),
    promptTokens: integer('prompt_tokens').notNull(),
    completionTokens: integer('completion_tokens').notNull(),
    model: text('model').notNull(),
    createdAt: timestampColumn('created_at').notNull().$defaultFn(now),
  },
  (t) => [index('token_usage_user_created_idx').on(t.userId, t.createdAt), index('token_usage_created_idx').on(t.createdAt)],
);

export const ratingEnum = conversationSchema.enum('rating', ['POSITIVE', 'NEGATIVE']);
export const feedbackReasonEnum = conversationSchema.enum('feedback_reason', ['INACCURATE', 'INCOMPLETE', 'UNHELPFUL', 'UNSAFE', 'WRONG_CITATION', 'TOO_LONG', 'OTHER']);

/**
 * The owner's rating of an assistant reply: one per message (rating again replaces it). Goes with
 * the message (foreign key) and with the person (erasure.ts).
 */
export const messageRatings = conversationSchema.table(
  'message_ratings',
  {
    messageId: uuid('message_id')
      .primaryKey()
      .references(() => messages.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    rating: ratingEnum('rating').notNull(),
    reason: feedbackReasonEnum('reason'),
    comment: text('comment'),
    createdAt: timestampColumn('created_at').notNull().$defaultFn(now),
    /** When it was last rated: what analytics count by. */
    updatedAt: timestampColumn('updated_at').notNull().$defaultFn(now),
  },
  (t) => [index('message_ratings_updated_idx').on(t.updatedAt), index('message_ratings_user_idx').on(t.userId)],
);

export type ConversationRow = typeof conversations.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type MessageStatus = MessageRow['status'];
export type ReplyPromptRow = typeof replyPrompts.$inferSelect;
export type MessageRatingRow = typeof messageRatings.$inferSelect;

/** People erased here after identity deleted them (see erasure.ts). */
export const erasedUsers = erasedUsersTable(conversationSchema);

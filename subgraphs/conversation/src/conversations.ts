import { and, asc, desc, eq, getTableColumns, gt, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { conversations, messages, type ConversationRow, type MessageRow } from './db/schema.js';

export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** A message with the owner of its conversation, which decides who may see it. */
export type OwnedMessage = MessageRow & { ownerId: string; archived: boolean };

export const DEFAULT_TITLE = 'New conversation';
export const MAX_TITLE_CHARS = 200;

/** Words of a search, each matched as a prefix ("hypert" finds "hypertension"); none for only punctuation. */
function prefixQuery(search: string): string | undefined {
  const words = search.toLowerCase().match(/[\p{L}\p{N}]+/gu)?.slice(0, 16);
  return words?.length ? words.map((w) => `${w}:*`).join(' & ') : undefined;
}

/** A title from the first message: its first line, cut at a word near 60 characters. */
export function titleFromMessage(content: string): string {
  const line = content.trim().split('\n')[0]!.replace(/\s+/g, ' ');
  if (line.length <= 60) return line;
  const cut = line.slice(0, 60);
  const space = cut.lastIndexOf(' ');
  return `${(space > 30 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

const ownedMessageColumns = { ...getTableColumns(messages), ownerId: conversations.ownerId, archived: conversations.archived };

export function createConversationStore(db: Database) {
  const store = {
    async create(ownerId: string, title: string | undefined): Promise<ConversationRow> {
      const now = new Date();
      const [row] = await db
        .insert(conversations)
        .values({ ownerId, title: title ?? DEFAULT_TITLE, untitled: title === undefined, createdAt: now, updatedAt: now })
        .returning();
      return row!;
    },

    byIds(ids: readonly string[]): Promise<ConversationRow[]> {
      return db.select().from(conversations).where(inArray(conversations.id, [...ids]));
    },

    /** The owner's conversations, most recently active first. */
    list(options: { ownerId: string; limit: number; after?: { updatedAt: Date; id: string } | undefined; search?: string | undefined; archived?: boolean | undefined }) {
      const conditions: Array<SQL | undefined> = [eq(conversations.ownerId, options.ownerId)];
      if (options.archived !== undefined) conditions.push(eq(conversations.archived, options.archived));
      if (options.after) {
        conditions.push(
          or(
            lt(conversations.updatedAt, options.after.updatedAt),
            and(eq(conversations.updatedAt, options.after.updatedAt), lt(conversations.id, options.after.id)),
          ),
        );
      }
      if (options.search !== undefined) {
        const query = prefixQuery(options.search);
        if (!query) return Promise.resolve([] as ConversationRow[]);
        const tsquery = sql`to_tsquery('english', ${query})`;
        conditions.push(
          or(
            sql`to_tsvector('english', ${conversations.title}) @@ ${tsquery}`,
            sql`exists (select 1 from ${messages} where ${messages.conversationId} = ${conversations.id} and to_tsvector('english', ${messages.content}) @@ ${tsquery})`,
          ),
        );
      }
      return db
        .select()
        .from(conversations)
        .where(and(...conditions))
        .orderBy(desc(conversations.updatedAt), desc(conversations.id))
        .limit(options.limit);
    },

    async update(id: string, changes: Partial<Pick<ConversationRow, 'title' | 'untitled' | 'archived'>>): Promise<ConversationRow | undefined> {
      const [row] = await db
        .update(conversations)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(conversations.id, id))
        .returning();
      return row;
    },

    /** Deletes the conversation and its messages; returns the messages it had (id and status). */
    async delete(id: string): Promise<Array<Pick<MessageRow, 'id' | 'status'>>> {
      return db.transaction(async (tx) => {
        const gone = await tx.select({ id: messages.id, status: messages.status }).from(messages).where(eq(messages.conversationId, id));
        await tx.delete(conversations).where(eq(conversations.id, id));
        return gone;
      });
    },

    messagesByIds(ids: readonly string[]): Promise<OwnedMessage[]> {
      return db
        .select(ownedMessageColumns)
        .from(messages)
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .where(inArray(messages.id, [...ids]));
    },

    /**
     * Pages of several conversations' messages (oldest first) in one query: up to `limit`
     * rows per conversation after `afterPosition`.
     */
    async messagePages(conversationIds: readonly string[], limit: number, afterPosition: number | undefined): Promise<MessageRow[]> {
      const ranked = db
        .select({
          ...getTableColumns(messages),
          rank: sql<number>`row_number() over (partition by ${messages.conversationId} order by ${messages.position})`.as('rank'),
        })
        .from(messages)
        .where(and(inArray(messages.conversationId, [...conversationIds]), afterPosition === undefined ? undefined : gt(messages.position, afterPosition)))
        .as('ranked');
      const rows = await db.select().from(ranked).where(lte(ranked.rank, limit)).orderBy(asc(ranked.conversationId), asc(ranked.position));
      return rows.map(({ rank: _rank, ...row }) => row as MessageRow);
    },

    /** Messages before `position` (newest `limit` of them), oldest first: a prompt's history. */
    async history(conversationId: string, beforePosition: number, limit: number): Promise<MessageRow[]> {
      if (limit === 0) return [];
      const rows = await db
        .select()
        .from(messages)
        .where(and(eq(messages.conversationId, conversationId), lt(messages.position, beforePosition)))
        .orderBy(desc(messages.position))
        .limit(limit);
      return rows.reverse();
    },

    /**
     * Locks the conversation for the rest of the transaction (one writer at a time, on every
     * replica), returning it with the last position used and whether a reply other than
     * `except` is still streaming.
     */
    async lock(tx: Transaction, conversationId: string, except?: string) {
      // drizzle leaves single-table columns unqualified: the subqueries name the outer row explicitly.
      const outer = sql.raw('"conversations"."id"');
      const [row] = await tx
        .select({
          conversation: conversations,
          lastPosition: sql<number | null>`(select max(m.position) from ${messages} m where m.conversation_id = ${outer})`,
          streaming: sql<number>`(select count(*) from ${messages} m where m.conversation_id = ${outer} and m.status = 'STREAMING'${except ? sql` and m.id <> ${except}` : sql``})`,
        })
        .from(conversations)
        .where(eq(conversations.id, conversationId))
        .for('update');
      if (!row) return undefined;
      return { conversation: row.conversation, lastPosition: row.lastPosition === null ? -1 : Number(row.lastPosition), streaming: Number(row.streaming) };
    },

    /** Inserts messages in one statement, returning them in position order. */
    async insertMessages(tx: Transaction, values: Array<typeof messages.$inferInsert>): Promise<MessageRow[]> {
      const rows = await tx.insert(messages).values(values).returning();
      return rows.sort((a, b) => a.position - b.position);
    },

    async insertMessage(tx: Transaction, values: typeof messages.$inferInsert): Promise<MessageRow> {
      const [row] = await tx.insert(messages).values(values).returning();
      return row!;
    },

    async touch(tx: Transaction, conversationId: string, changes: Partial<Pick<ConversationRow, 'title' | 'untitled'>> = {}) {
      await tx.update(conversations).set({ ...changes, updatedAt: new Date() }).where(eq(conversations.id, conversationId));
    },

    async deleteMessage(tx: Transaction, id: string) {
      await tx.delete(messages).where(eq(messages.id, id));
    },

    /** Records the outcome of a generation; false when the message no longer exists or had already ended. */
    async finishMessage(
      tx: Transaction,
      id: string,
      outcome: Pick<MessageRow, 'content' | 'status' | 'citations' | 'promptTokens' | 'completionTokens' | 'model' | 'errorCode'>,
    ): Promise<boolean> {
      const rows = await tx
        .update(messages)
        .set({ ...outcome, updatedAt: new Date() })
        .where(and(eq(messages.id, id), eq(messages.status, 'STREAMING')))
        .returning({ id: messages.id });
      return rows.length > 0;
    },

    /** Ends a reply whose generator is gone (its replica stopped): CANCELLED with the text the log holds. */
    async abandon(id: string, content: string, status: 'CANCELLED' | 'FAILED'): Promise<boolean> {
      const rows = await db
        .update(messages)
        .set({ content, status, updatedAt: new Date(), ...(status === 'FAILED' ? { errorCode: 'PROVIDER_UNAVAILABLE' } : {}) })
        .where(and(eq(messages.id, id), eq(messages.status, 'STREAMING')))
        .returning({ id: messages.id });
      return rows.length > 0;
    },

    /** Marks replies as still being generated (a lease their generator renews). */
    async heartbeat(ids: readonly string[]) {
      if (ids.length === 0) return;
      await db
        .update(messages)
        .set({ updatedAt: new Date() })
        .where(and(inArray(messages.id, [...ids]), eq(messages.status, 'STREAMING')));
    },

    /** Replies still STREAMING whose generator has not renewed its lease since `before`: it is gone. */
    async staleStreaming(before: Date): Promise<Array<{ id: string }>> {
      return db
        .select({ id: messages.id })
        .from(messages)
        .where(and(eq(messages.status, 'STREAMING'), lt(messages.updatedAt, before)))
        .limit(100);
    },
  };
  return store;
}

export type ConversationStore = ReturnType<typeof createConversationStore>;

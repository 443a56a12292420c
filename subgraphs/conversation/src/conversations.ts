import { and, asc, desc, eq, getTableColumns, gt, inArray, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { conversations, messages, replyPrompts, type ConversationRow, type MessageRow, type ReplyPromptRow } from './db/schema.js';

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

    /**
     * Records the outcome of a generation by the replica holding its lease (and removes its saved
     * prompt); false when the message no longer exists, had already ended or was taken over.
     */
    async finishMessage(
      tx: Transaction,
      id: string,
      generatorId: string,
      outcome: Pick<MessageRow, 'content' | 'status' | 'citations' | 'citationChecks' | 'promptTokens' | 'completionTokens' | 'model' | 'errorCode' | 'firstTokenMs'>,
    ): Promise<boolean> {
      const rows = await tx
        .update(messages)
        .set({ ...outcome, updatedAt: new Date() })
        .where(and(eq(messages.id, id), eq(messages.status, 'STREAMING'), eq(messages.generatorId, generatorId)))
        .returning({ id: messages.id });
      if (rows.length > 0) await tx.delete(replyPrompts).where(eq(replyPrompts.messageId, id));
      return rows.length > 0;
    },

    /** Whether the message still exists (a reply deleted or replaced meanwhile does not). */
    async messageExists(tx: Transaction, id: string): Promise<boolean> {
      return (await tx.select({ id: messages.id }).from(messages).where(eq(messages.id, id))).length > 0;
    },

    /**
     * Ends a reply whose generator is gone, with the text its log holds. Only by the replica
     * holding its lease when `generatorId` is given (a sweep's claim); any STREAMING one otherwise.
     */
    async abandon(tx: Transaction, id: string, content: string, status: 'CANCELLED' | 'FAILED', generatorId?: string): Promise<boolean> {
      const rows = await tx
        .update(messages)
        .set({ content, status, updatedAt: new Date(), ...(status === 'FAILED' ? { errorCode: 'PROVIDER_UNAVAILABLE' } : {}) })
        .where(and(eq(messages.id, id), eq(messages.status, 'STREAMING'), generatorId === undefined ? undefined : eq(messages.generatorId, generatorId)))
        .returning({ id: messages.id });
      if (rows.length > 0) await tx.delete(replyPrompts).where(eq(replyPrompts.messageId, id));
      return rows.length > 0;
    },

    /** The generator starting a reply takes its lease; false when the reply is gone or another replica has it. */
    async takeLease(id: string, generatorId: string): Promise<boolean> {
      const rows = await db
        .update(messages)
        .set({ generatorId, leaseRenewedAt: sql`now()` })
        .where(and(eq(messages.id, id), eq(messages.status, 'STREAMING'), or(isNull(messages.generatorId), eq(messages.generatorId, generatorId))))
        .returning({ id: messages.id });
      return rows.length > 0;
    },

    /**
     * Renews this replica's leases, recording how many tokens each reply has streamed. Returns
     * the replies still held: one missing has ended elsewhere or been taken over.
     */
    async renewLeases(generatorId: string, streamed: ReadonlyMap<string, number>): Promise<Set<string>> {
      if (streamed.size === 0) return new Set();
      const ids = [...streamed.keys()];
      const counts = sql.join(
        ids.map((id) => sql`when ${id}::uuid then ${streamed.get(id)!}::integer`),
        sql` `,
      );
      const rows = await db
        .update(messages)
        .set({ leaseRenewedAt: sql`now()`, streamedTokens: sql`greatest(${messages.streamedTokens}, case ${messages.id} ${counts} else ${messages.streamedTokens} end)` })
        .where(and(inArray(messages.id, ids), eq(messages.status, 'STREAMING'), eq(messages.generatorId, generatorId)))
        .returning({ id: messages.id });
      return new Set(rows.map((r) => r.id));
    },

    /** STREAMING replies whose lease has not been renewed for `staleAfterMs`: their generator is gone. */
    async staleStreaming(staleAfterMs: number): Promise<Array<{ id: string }>> {
      return db
        .select({ id: messages.id })
        .from(messages)
        .where(and(eq(messages.status, 'STREAMING'), lt(messages.leaseRenewedAt, sql`now() - ${staleAfterMs} * interval '1 millisecond'`)))
        .limit(100);
    },

    /**
     * Claims a stale reply for `generatorId`. Atomic across replicas: the UPDATE re-checks the
     * staleness of the row it locks, so of several replicas claiming at once exactly one gets it.
     */
    async claimStale(id: string, generatorId: string, staleAfterMs: number): Promise<Pick<MessageRow, 'id' | 'conversationId' | 'position' | 'streamedTokens'> | undefined> {
      const [row] = await db
        .update(messages)
        .set({ generatorId, leaseRenewedAt: sql`now()` })
        .where(and(eq(messages.id, id), eq(messages.status, 'STREAMING'), lt(messages.leaseRenewedAt, sql`now() - ${staleAfterMs} * interval '1 millisecond'`)))
        .returning({ id: messages.id, conversationId: messages.conversationId, position: messages.position, streamedTokens: messages.streamedTokens });
      return row;
    },

    /** Saves what another replica needs to continue the reply (see {@link replyPrompts}). */
    async savePrompt(row: typeof replyPrompts.$inferInsert) {
      await db.insert(replyPrompts).values(row).onConflictDoUpdate({ target: replyPrompts.messageId, set: { prompt: row.prompt, passages: row.passages } });
    },

    async prompt(messageId: string): Promise<ReplyPromptRow | undefined> {
      const [row] = await db.select().from(replyPrompts).where(eq(replyPrompts.messageId, messageId));
      return row;
    },
  };
  return store;
}

export type ConversationStore = ReturnType<typeof createConversationStore>;

import type { ChatMessage } from '@voiceassist/ai';
import type { Viewer } from '@voiceassist/auth';
import type { Database } from '@voiceassist/database';
import { badUserInput, budgetExceeded, conflict, notFound } from '@voiceassist/errors';
import { titleFromMessage, type ConversationStore, type OwnedMessage } from './conversations.js';
import type { ConversationRow, MessageRow } from './db/schema.js';
import type { Generations } from './generation.js';
import type { TokenLog } from './token-log.js';
import type { Usage } from './usage.js';

export interface Caller {
  authorization: string | undefined;
  requestId: string;
}

const ROLE_IN_PROMPT = { USER: 'user', ASSISTANT: 'assistant', SYSTEM: 'system' } as const;

/** Earlier turns as the model reads them: failed and empty replies are left out. */
function toPrompt(rows: readonly MessageRow[]): ChatMessage[] {
  return rows.filter((m) => m.content && m.status !== 'FAILED').map((m) => ({ role: ROLE_IN_PROMPT[m.role], content: m.content }));
}

const archivedConflict = () => conflict('This conversation is archived; unarchive it to continue it');
const streamingConflict = () => conflict('A reply is still being generated in this conversation; wait for it or cancel it');

/** What users do in a conversation, with its rules: budgets, archive state, one reply at a time. */
export function createChat(deps: { db: Database; store: ConversationStore; usage: Usage; generations: Generations; tokenLog: TokenLog; historyMessages: number }) {
  const { db, store, usage, generations, tokenLog } = deps;

  /** BUDGET_EXCEEDED when the caller's role budget for this period is used up, before any provider call. */
  async function ensureBudget(viewer: Viewer) {
    const budget = usage.budgetFor(viewer.role);
    const summary = usage.summary((await usage.spent([viewer.userId])).get(viewer.userId), budget);
    if (summary.remaining <= 0) {
      throw budgetExceeded(
        `Your monthly token budget is used up (${summary.tokens.toLocaleString('en-US')} of ${budget.toLocaleString('en-US')} tokens); it renews on ${summary.periodEnd.toISOString().slice(0, 10)}`,
      );
    }
  }

  /** After their rows are deleted: replies in progress stop and the messages' token logs go. */
  async function forgetMessages(gone: ReadonlyArray<Pick<MessageRow, 'id' | 'status'>>): Promise<void> {
    // Wherever they run, replies in progress stop; finding their message gone, they keep no log.
    await Promise.all(gone.filter((m) => m.status === 'STREAMING').map((m) => generations.stop(m.id, 'deleted')));
    await tokenLog.delete(gone.map((m) => m.id));
  }

  return {
    ensureBudget,

    async send(viewer: Viewer, conversation: ConversationRow, content: string, useKnowledge: boolean, caller: Caller) {
      if (conversation.archived) throw archivedConflict();
      await ensureBudget(viewer);
      const created = await db.transaction(async (tx) => {
        const locked = await store.lock(tx, conversation.id);
        if (!locked) throw notFound('Conversation');
        if (locked.conversation.archived) throw archivedConflict();
        if (locked.streaming > 0) throw streamingConflict();
        const position = locked.lastPosition + 1;
        const now = new Date();
        const base = { conversationId: conversation.id, createdAt: now, updatedAt: now };
        const [userMessage, assistantMessage] = await store.insertMessages(tx, [
          { ...base, position, role: 'USER', content, status: 'COMPLETE' },
          { ...base, position: position + 1, role: 'ASSISTANT', content: '', status: 'STREAMING', useKnowledge },
        ]);
        await store.touch(tx, conversation.id, locked.conversation.untitled ? { title: titleFromMessage(content), untitled: false } : {});
        return { userMessage: userMessage!, assistantMessage: assistantMessage! };
      });
      const history = toPrompt(await store.history(conversation.id, created.userMessage.position, deps.historyMessages));
      generations.start({ message: created.assistantMessage, viewer, history, question: content, useKnowledge, caller });
      return created;
    },

    /** Stops a STREAMING reply; a reply that has ended is left as it is. Returns the stored message. */
    async cancel(message: OwnedMessage): Promise<OwnedMessage> {
      if (message.role !== 'ASSISTANT') throw badUserInput('Only assistant replies are generated', 'messageId');
      if (message.status === 'STREAMING') await generations.stop(message.id, 'cancel');
      const [fresh] = await store.messagesByIds([message.id]);
      if (!fresh) throw notFound('Message');
      return fresh;
    },

    /** A new reply in the old one's place (the old one is stopped and deleted with its token log). */
    async regenerate(viewer: Viewer, message: OwnedMessage, caller: Caller): Promise<MessageRow> {
      if (message.role !== 'ASSISTANT') throw badUserInput('Only assistant replies can be regenerated', 'messageId');
      if (message.archived) throw archivedConflict();
      await ensureBudget(viewer);
      const earlier = await store.history(message.conversationId, message.position, deps.historyMessages + 1);
      const questionIndex = earlier.findLastIndex((m) => m.role === 'USER');
      if (questionIndex < 0) throw badUserInput('This reply answers no message', 'messageId');
      if (message.status === 'STREAMING') await generations.stop(message.id, 'replaced');
      const replacement = await db.transaction(async (tx) => {
        const locked = await store.lock(tx, message.conversationId, message.id);
        if (!locked) throw notFound('Message');
        if (locked.conversation.archived) throw archivedConflict();
        if (locked.streaming > 0) throw streamingConflict();
        await store.deleteMessage(tx, message.id);
        const now = new Date();
        const row = await store.insertMessage(tx, {
          conversationId: message.conversationId,
          position: message.position,
          role: 'ASSISTANT',
          content: '',
          status: 'STREAMING',
          useKnowledge: message.useKnowledge,
          createdAt: now,
          updatedAt: now,
        });
        await store.touch(tx, message.conversationId);
        return row;
      });
      await tokenLog.delete([message.id]);
      generations.start({
        message: replacement,
        viewer,
        history: toPrompt(earlier.slice(0, questionIndex)),
        question: earlier[questionIndex]!.content,
        useKnowledge: message.useKnowledge,
        caller,
      });
      return replacement;
    },

    /** Deletes the conversation with its messages and token logs, stopping a reply in progress. */
    async deleteConversation(conversation: ConversationRow): Promise<void> {
      await forgetMessages(await store.delete(conversation.id));
    },

    forgetMessages,
  };
}

export type Chat = ReturnType<typeof createChat>;

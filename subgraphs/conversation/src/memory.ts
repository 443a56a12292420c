import { and, asc, desc, eq, gt, lte } from 'drizzle-orm';
import { foldIntoSummary, memoryMessage, type ChatMessage, type ChatProvider } from '@voiceassist/ai';
import type { Database } from '@voiceassist/database';
import type { Logger } from '@voiceassist/logging';
import { loggableError } from '@voiceassist/logging';
import { injectTraceContext } from '@voiceassist/tracing';
import { conversations, messages } from './db/schema.js';
import type { Usage } from './usage.js';

/**
 * Conversation memory, in two tiers beyond the recent turns the prompt carries:
 * - a running summary per conversation of the messages older than the history window, folded in
 *   the background after each reply (by the language model, or extractively);
 * - facts about the user (role, specialty, preferences, things to remember), stated in a message
 *   or set directly, kept in identity's user settings under `memory.facts` (identity owns
 *   settings; they go with the user when identity deletes them) and read as the caller.
 */

export interface Caller {
  authorization: string | undefined;
  requestId: string;
}

/** Facts by kind: a newer statement of a kind replaces the older one. */
export type UserFacts = Record<string, string>;

const FACT_TEXT = String.raw`([^.!?\n]{2,120}?)`;
const ROLE_WORDS = String.raw`(?:[\p{L}-]+\s+){0,3}?(?:[\p{L}-]*(?:ist|ian|surgeon|nurse|doctor|physician|pharmacist|consultant|registrar|resident|student|midwife|paramedic|practitioner|gp|therapist))`;
const STATEMENTS: Array<{ kind: string; pattern: RegExp }> = [
  { kind: 'specialty', pattern: new RegExp(String.raw`\bmy (?:specialty|speciality|field) is ${FACT_TEXT}(?=[.!?,\n]|$)`, 'iu') },
  { kind: 'specialty', pattern: new RegExp(String.raw`\bI (?:work|practi[cs]e|speciali[sz]e) in ${FACT_TEXT}(?=[.!?,\n]|$)`, 'iu') },
  { kind: 'role', pattern: new RegExp(String.raw`\bI(?:'m| am| work as) (an? ${ROLE_WORDS})\b`, 'iu') },
  { kind: 'preference', pattern: new RegExp(String.raw`\bI prefer ${FACT_TEXT}(?=[.!?\n]|$)`, 'iu') },
  { kind: 'preference', pattern: new RegExp(String.raw`\bplease ((?:always|never) [^.!?\n]{2,120}?)(?=[.!?\n]|$)`, 'iu') },
  { kind: 'note', pattern: new RegExp(String.raw`\bremember that ${FACT_TEXT}(?=[.!?\n]|$)`, 'iu') },
];

/** Facts the user states about themself in a message ("I am a cardiologist", "my specialty is …", "I prefer …"). */
export function statedFacts(text: string): UserFacts {
  const facts: UserFacts = {};
  for (const { kind, pattern } of STATEMENTS) {
    const value = pattern.exec(text)?.[1]?.replace(/\s+/g, ' ').trim();
    if (value && !facts[kind]) facts[kind] = value;
  }
  return facts;
}

const FACT_LABELS: Record<string, string> = { role: 'The user is', specialty: 'The user’s specialty is', preference: 'The user prefers', note: 'The user asked you to remember that' };

/** Facts as the sentences the prompt carries, e.g. "The user’s specialty is paediatric cardiology." */
export function factSentences(facts: UserFacts): string[] {
  return Object.entries(facts).map(([kind, value]) => `${FACT_LABELS[kind] ?? `The user’s ${kind} is`} ${value}.`);
}

const READ_FACTS = 'query ConversationMemoryFacts { me { settings } }';
const WRITE_SETTINGS = 'mutation ConversationMemoryFactsUpdate($settings: JSON!) { updateSettings(settings: $settings) { id } }';

function factsOf(settings: unknown): UserFacts {
  const facts = (settings as { memory?: { facts?: unknown } } | null)?.memory?.facts;
  if (!facts || typeof facts !== 'object' || Array.isArray(facts)) return {};
  return Object.fromEntries(Object.entries(facts).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** The user's facts in identity's settings, read and written as the caller. */
export function createUserFactsStore(options: { url: string | undefined; timeoutMs: number; logger: Logger }) {
  const { url, logger } = options;

  async function call(caller: Caller, query: string, variables: Record<string, unknown> = {}): Promise<unknown> {
    if (!url || !caller.authorization) return undefined;
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: caller.authorization, 'x-request-id': caller.requestId };
    injectTraceContext(headers);
    try {
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(options.timeoutMs) });
      const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: unknown } }> };
      // Codes only: settings hold the user's own words.
      if (body.errors?.length) logger.warn({ codes: body.errors.map((e) => e.extensions?.code ?? null) }, 'identity refused a memory request');
      return body.data;
    } catch (error) {
      logger.warn({ error: loggableError(error) }, 'identity unavailable; replying without the user’s facts');
      return undefined;
    }
  }

  return {
    /** The caller's facts; none when identity is away or refuses. */
    async read(caller: Caller): Promise<UserFacts> {
      const data = (await call(caller, READ_FACTS)) as { me?: { settings?: unknown } | null } | undefined;
      return factsOf(data?.me?.settings);
    },
    /** Adds or replaces facts by kind (identity merges settings). */
    async remember(caller: Caller, facts: UserFacts): Promise<void> {
      await call(caller, WRITE_SETTINGS, { settings: { memory: { facts } } });
    },
    /** Removes every fact (a null setting is deleted). */
    async forget(caller: Caller): Promise<boolean> {
      const data = (await call(caller, WRITE_SETTINGS, { settings: { memory: null } })) as { updateSettings?: unknown } | undefined;
      return Boolean(data?.updateSettings);
    },
  };
}

export type UserFactsStore = ReturnType<typeof createUserFactsStore>;

export interface MemoryOptions {
  db: Database;
  provider: ChatProvider;
  /** Where a summary written by the model is counted, against the conversation's owner. */
  usage: Pick<Usage, 'record'>;
  facts: UserFactsStore;
  logger: Logger;
  /** Messages the prompt carries as they are; older ones are summarized. */
  historyMessages: number;
  /** Tokens of memory (facts, then the summary) a prompt may carry. */
  budgetTokens: number;
}

/** The summary of a conversation, with the user's facts, for prompts; updated in the background. */
export function createMemory(options: MemoryOptions) {
  const { db, provider, logger } = options;
  /** One summary update at a time per conversation in this replica; replicas race through the conditional update. */
  const updating = new Map<string, Promise<void>>();

  async function fold(conversationId: string): Promise<void> {
    const [conversation] = await db
      .select({ ownerId: conversations.ownerId, summary: conversations.memorySummary, through: conversations.summarizedThrough })
      .from(conversations)
      .where(eq(conversations.id, conversationId));
    if (!conversation) return;
    // Everything but the newest `historyMessages`, which prompts carry as they are.
    const [edge] = await db
      .select({ position: messages.position })
      .from(messages)
      .where(eq(messages.conversationId, conversationId))
      .orderBy(desc(messages.position))
      .offset(options.historyMessages)
      .limit(1);
    const outside = edge?.position;
    if (outside === undefined || outside <= conversation.through) return;
    const rows = await db
      .select({ id: messages.id, role: messages.role, content: messages.content, status: messages.status })
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), gt(messages.position, conversation.through), lte(messages.position, outside)))
      .orderBy(asc(messages.position));
    const turns: ChatMessage[] = rows
      .filter((m) => m.content && m.status !== 'FAILED' && m.role !== 'SYSTEM')
      .map((m) => ({ role: m.role === 'USER' ? 'user' : 'assistant', content: m.content }));
    const { summary, usage } = await foldIntoSummary(provider, conversation.summary, turns, options.budgetTokens);
    await db.transaction(async (tx) => {
      // Only over the summary it started from: another replica's newer fold wins.
      const [updated] = await tx
        .update(conversations)
        .set({ memorySummary: summary, summarizedThrough: outside })
        .where(and(eq(conversations.id, conversationId), eq(conversations.summarizedThrough, conversation.through)))
        .returning({ id: conversations.id });
      // The model's tokens count against the owner's budget, on the newest message summarized.
      const last = rows.at(-1);
      if (updated && usage && last) await options.usage.record(tx, { userId: conversation.ownerId, messageId: last.id, ...usage, model: provider.model });
    });
    logger.debug({ conversationId, summarizedThrough: outside, turns: turns.length }, 'conversation summary updated');
  }

  return {
    /** Folds messages that left the history window into the summary, in the background. */
    refresh(conversationId: string): Promise<void> {
      const previous = updating.get(conversationId) ?? Promise.resolve();
      const next = previous
        .then(() => fold(conversationId))
        .catch((error: unknown) => logger.warn({ error: loggableError(error), conversationId }, 'could not update a conversation summary'))
        .finally(() => {
          if (updating.get(conversationId) === next) updating.delete(conversationId);
        });
      updating.set(conversationId, next);
      return next;
    },

    /** Waits for this replica's summary updates (tests, shutdown). */
    async idle(): Promise<void> {
      await Promise.all(updating.values());
    },

    /**
     * The memory message of a reply's prompt: facts the message states (remembered in identity
     * meanwhile), the user's stored facts and the conversation's summary, within the budget.
     */
    async forPrompt(conversationId: string, question: string, caller: Caller): Promise<ChatMessage | undefined> {
      const stated = statedFacts(question);
      const [stored, [row]] = await Promise.all([
        options.facts.read(caller),
        db.select({ summary: conversations.memorySummary }).from(conversations).where(eq(conversations.id, conversationId)),
      ]);
      if (Object.keys(stated).length > 0) await options.facts.remember(caller, stated);
      return memoryMessage(factSentences({ ...stored, ...stated }), row?.summary ?? '', options.budgetTokens);
    },

    /** The conversation's summary and the caller's facts, as `Conversation.memory` shows them. */
    async view(conversationId: string, caller: Caller) {
      const [[row], facts] = await Promise.all([
        db.select({ summary: conversations.memorySummary, through: conversations.summarizedThrough }).from(conversations).where(eq(conversations.id, conversationId)),
        options.facts.read(caller),
      ]);
      return { summary: row?.summary ?? '', summarizedThrough: row?.through ?? -1, facts: Object.entries(facts).map(([key, value]) => ({ key, value })) };
    },

    /** Erases the conversation's summary and, with `facts`, the caller's facts. */
    async forget(conversationId: string, caller: Caller, facts: boolean): Promise<void> {
      await updating.get(conversationId);
      // The summary restarts after the newest message: what was forgotten is not folded in again.
      const [last] = await db.select({ position: messages.position }).from(messages).where(eq(messages.conversationId, conversationId)).orderBy(desc(messages.position)).limit(1);
      await db.update(conversations).set({ memorySummary: '', summarizedThrough: last?.position ?? -1 }).where(eq(conversations.id, conversationId));
      if (facts) await options.facts.forget(caller);
    },
  };
}

export type Memory = ReturnType<typeof createMemory>;

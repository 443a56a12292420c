import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { estimatePromptTokens, estimateTokens, planHops, retrieveMultiHop, verifyCitations, type ChatMessage, type ChatPassage, type ChatProvider, type ChatUsage } from '@voiceassist/ai';
import type { Viewer } from '@voiceassist/auth';
import type { Database } from '@voiceassist/database';
import type { Logger } from '@voiceassist/logging';
import type { LlmMetrics } from '@voiceassist/metrics';
import type { PubSub } from '@voiceassist/pubsub';
import type { ConversationStore } from './conversations.js';
import type { MessageRow, MessageStatus } from './db/schema.js';
import type { KnowledgeSearch } from './knowledge.js';
import type { Memory } from './memory.js';
import { buildPrompt } from './prompt.js';
import type { RagSwitch } from './rag-switch.js';
import { loggableError } from '@voiceassist/logging';
import type { TokenLog } from './token-log.js';
import { serviceTracer, withSpan } from '@voiceassist/tracing';
import type { Usage } from './usage.js';

const tracer = serviceTracer('conversation');

/**
 * Why a generation was stopped before the provider finished; `lost` when another replica holds
 * its lease now (this one was thought gone): it then writes nothing more.
 */
export type StopReason = 'cancel' | 'replaced' | 'deleted' | 'timeout' | 'shutdown' | 'lost';

export interface GenerationJob {
  /** The assistant message, in STREAMING, that receives the reply. */
  message: Pick<MessageRow, 'id' | 'conversationId'>;
  viewer: Viewer;
  /** Earlier turns, oldest first. */
  history: ChatMessage[];
  question: string;
  useKnowledge: boolean;
  /** The caller's credentials, to search knowledge on their behalf. */
  caller: { authorization: string | undefined; requestId: string };
}

export interface GenerationsOptions {
  db: Database;
  store: ConversationStore;
  usage: Usage;
  tokenLog: TokenLog;
  pubsub: PubSub;
  provider: ChatProvider;
  knowledge: KnowledgeSearch;
  ragSwitch: RagSwitch;
  /** The conversation's summary and the user's facts in prompts, and the summary's updates; none without. */
  memory?: Pick<Memory, 'forPrompt' | 'refresh'> | undefined;
  logger: Logger;
  /** Nothing from the provider for this long ends the reply in FAILED. */
  idleTimeoutMs: number;
  /** How often a generator renews its replies' leases and looks for replies whose generator is gone. */
  heartbeatMs?: number;
  /** A reply whose lease has not been renewed for this long is taken over (3 heartbeats unless given). */
  takeoverAfterMs?: number;
  /** How long a cancel waits for another replica's generator before ending the reply itself. */
  cancelWaitMs?: number;
  /** Tokens spent and time to first token, exported by the service. */
  metrics?: LlmMetrics;
}

const CANCEL_TOPIC = 'conversation.cancel';

/** What a reply is generated from; saved, so another replica can rebuild it (see replyPrompts). */
interface Plan {
  userId: string;
  prompt: ChatMessage[];
  passages: ChatPassage[];
  /** What planning the searches cost (not saved: a replica taking the reply over did not plan it). */
  planning?: ChatUsage | undefined;
}

/** A reply continued after the generator that started it stopped. */
interface Resumption {
  /** The text its token log holds, given to the provider to continue. */
  prefix: string;
  /** The index of its next token. */
  from: number;
}

interface ActiveReply {
  controller: AbortController;
  done: Promise<void>;
  /** Whether this replica holds its lease (taken when the generator starts). */
  leased: boolean;
  /** Tokens in its log so far. */
  streamed: () => number;
}

function outcomeOf(reason: unknown, failed: boolean): MessageStatus {
  if (reason === 'cancel' || reason === 'replaced' || reason === 'deleted') return 'CANCELLED';
  if (reason === 'timeout' || reason === 'shutdown' || failed) return 'FAILED';
  return 'COMPLETE';
}

const sumUsage = (...parts: Array<ChatUsage | undefined>): ChatUsage | undefined => {
  const present = parts.filter((p) => p !== undefined);
  if (present.length === 0) return undefined;
  return { promptTokens: present.reduce((n, p) => n + p.promptTokens, 0), completionTokens: present.reduce((n, p) => n + p.completionTokens, 0) };
};

/** What the generator that stopped had spent on the text it left, by estimate (its provider's own figures died with it). */
const spentBefore = (plan: Plan, prefix: string): ChatUsage | undefined =>
  prefix ? { promptTokens: estimatePromptTokens(plan.prompt), completionTokens: estimateTokens(prefix) } : undefined;

/**
 * Runs replies in the background, independent of any client: each streams from the chat
 * provider into the message's token log and ends in the database as COMPLETE, CANCELLED or
 * FAILED with its usage. Cancels reach the generating replica over pub/sub.
 *
 * Each reply is leased to the replica generating it, which renews the lease every heartbeat.
 * Every replica looks for replies whose lease has lapsed (their replica died) and claims them
 * atomically: the one that gets a reply continues it from the text its log holds, or, when that
 * cannot be done, ends it FAILED with that text.
 */
export function createGenerations(options: GenerationsOptions) {
  const { store, tokenLog, pubsub, provider, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 1_000;
  const takeoverAfterMs = options.takeoverAfterMs ?? 3 * heartbeatMs;
  const cancelWaitMs = options.cancelWaitMs ?? 3_000;
  /** This replica, as lease holder; a restarted process is a new one. */
  const generatorId = randomUUID();
  const active = new Map<string, ActiveReply>();
  let stopping = false;

  const cancelNotices = pubsub.subscribe<{ messageId: string; reason: StopReason }>(CANCEL_TOPIC);
  const listening = (async () => {
    for await (const notice of cancelNotices) active.get(notice.messageId)?.controller.abort(notice.reason);
  })();

  /** Renews this replica's leases; a reply whose lease it no longer holds stops writing. */
  async function renewLeases() {
    const held = [...active].filter(([, reply]) => reply.leased);
    if (held.length === 0) return;
    const kept = await store.renewLeases(generatorId, new Map(held.map(([id, reply]) => [id, reply.streamed()])));
    for (const [id, reply] of held) {
      if (!kept.has(id) && active.get(id) === reply) reply.controller.abort('lost' satisfies StopReason);
    }
  }

  let sweeping: Promise<void> | undefined;
  /** Claims replies whose generator is gone and continues (or ends) them. */
  function sweep(): Promise<void> {
    sweeping ??= (async () => {
      try {
        for (const { id } of await store.staleStreaming(takeoverAfterMs)) {
          if (stopping) return;
          if (active.has(id)) continue;
          const claimed = await store.claimStale(id, generatorId, takeoverAfterMs);
          if (claimed) await takeOver(claimed);
        }
      } finally {
        sweeping = undefined;
      }
    })();
    return sweeping;
  }

  const heartbeat = setInterval(() => {
    void renewLeases().catch((error: unknown) => logger.warn({ error: loggableError(error) }, 'reply heartbeat failed'));
    void sweep().catch((error: unknown) => logger.warn({ error: loggableError(error) }, 'abandoned reply sweep failed'));
  }, heartbeatMs);
  heartbeat.unref();

  /**
   * Continues a reply this replica has just claimed from the text its log holds, if the log is
   * whole (every token the stopped generator had counted, in order, unfinished) and its prompt
   * was saved; otherwise ends it FAILED with that text.
   */
  async function takeOver(claimed: { id: string; conversationId: string; streamedTokens: number }) {
    const [plan, entries] = await Promise.all([store.prompt(claimed.id), tokenLog.range(claimed.id, -1)]);
    const prefix = entries.map((e) => e.delta).join('');
    const whole = entries.length >= claimed.streamedTokens && entries.every((e, i) => e.index === i && !e.done);
    if (!plan || !whole) {
      logger.warn({ messageId: claimed.id, tokens: entries.length, streamedTokens: claimed.streamedTokens, prompt: Boolean(plan) }, 'cannot continue a reply whose generator is gone');
      await abandon(claimed.id, 'FAILED', generatorId);
      return;
    }
    logger.info({ messageId: claimed.id, tokens: entries.length }, 'continuing a reply whose generator is gone');
    launch(claimed, true, async () => ({ userId: plan.userId, prompt: plan.prompt, passages: plan.passages }), { prefix, from: entries.length });
  }

  /**
   * Ends a reply whose generator is gone, with the text its log holds and what that text cost.
   * Only while `holder` holds its lease, when given (a sweep's claim).
   */
  async function abandon(id: string, status: 'CANCELLED' | 'FAILED', holder?: string) {
    const [plan, entries] = await Promise.all([store.prompt(id), tokenLog.range(id, -1)]);
    const text = entries.map((e) => e.delta).join('');
    const ended = await options.db.transaction(async (tx) => {
      if (!(await store.abandon(tx, id, text, status, holder))) return false;
      const spent = plan && spentBefore(plan, text);
      if (plan && spent) await options.usage.record(tx, { userId: plan.userId, messageId: id, ...spent, model: provider.model });
      return true;
    });
    if (ended) {
      await tokenLog.seal(id);
      logger.warn({ messageId: id, status }, 'ended a reply whose generator is gone');
    }
  }

  async function run(target: { id: string; conversationId: string }, reply: ActiveReply, prepare: (signal: AbortSignal) => Promise<Plan | undefined>, resume?: Resumption) {
    const { controller } = reply;
    const { signal } = controller;
    const started = performance.now();
    const writer = tokenLog.writer(target.id, resume?.from ?? 0);
    reply.streamed = () => writer.count;
    let content = '';
    /** From the start of generation to its first token; not measured for a reply continued by another replica. */
    let firstTokenMs: number | null = null;
    let reported: ChatUsage | undefined;
    let plan: Plan | undefined;
    let failure: unknown;
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort('timeout' satisfies StopReason), options.idleTimeoutMs);
    };
    try {
      plan = await prepare(signal);
      // Its lease is someone else's (or the reply is gone): nothing to do here.
      if (!plan) controller.abort('lost' satisfies StopReason);
      else {
        arm();
        for await (const chunk of provider.stream(plan.prompt, { signal, passages: plan.passages, continuation: resume?.prefix })) {
          arm();
          // Another replica writes this reply now: not one more token from here.
          if (signal.reason === 'lost') break;
          if ('usage' in chunk) {
            reported = chunk.usage;
          } else if (chunk.delta) {
            // The log first: what followers saw is exactly what the message will hold.
            writer.append(chunk.delta);
            if (!content) {
              // Its first token is on record at once: a takeover finding no log then knows it lost one.
              void renewLeases().catch(() => {});
              // From the request (a continued reply started long before: not counted).
              if (!resume) {
                firstTokenMs = Math.round(performance.now() - started);
                options.metrics?.firstToken(provider.model, firstTokenMs / 1000);
              }
            }
            content += chunk.delta;
          }
          if (signal.aborted) break;
        }
      }
      // Every token is stored and published before the reply counts as ended.
      await writer.flush();
    } catch (error) {
      failure = error;
    } finally {
      clearTimeout(idle);
    }

    const lost = () => logger.warn({ messageId: target.id, tokens: writer.count }, 'stopped generating a reply another replica took over');
    if (signal.reason === 'lost') return lost();
    // Failed before it had a prompt (nothing streamed, nothing spent): it still ends, FAILED.
    plan ??= { userId: '', prompt: [], passages: [] };
    const status = outcomeOf(signal.aborted ? signal.reason : undefined, failure !== undefined);
    const text = (resume?.prefix ?? '') + content;
    const own = reported ?? (content ? { promptTokens: estimatePromptTokens(plan.prompt), completionTokens: estimateTokens(content) } : undefined);
    const citations = text ? plan.passages.map((p) => p.id) : [];
    // Each [n] against its passage; a stopped reply's are checked by overlap only (its judge would outlive it).
    const verification = text && status !== 'FAILED' ? await checkCitations(text, plan.passages, signal.aborted) : undefined;
    const spent = sumUsage(resume && spentBefore(plan, resume.prefix), own, plan.planning, verification?.usage);
    const { userId } = plan;
    /** How the reply ended in the database: stored here, deleted meanwhile, or another replica's. */
    let ending: 'stored' | 'gone' | 'taken' | 'unknown' = 'unknown';
    try {
      ending = await options.db.transaction(async (tx) => {
        const ended = await store.finishMessage(tx, target.id, generatorId, {
          content: text,
          status,
          citations,
          citationChecks: verification?.checks ?? [],
          promptTokens: spent?.promptTokens ?? null,
          completionTokens: spent?.completionTokens ?? null,
          model: spent ? provider.model : null,
          errorCode: status === 'FAILED' ? 'PROVIDER_UNAVAILABLE' : null,
          firstTokenMs,
        });
        const deleted = !ended && !(await store.messageExists(tx, target.id));
        // Tokens spent count even for a reply deleted meanwhile; not for one another replica took over (it counts them).
        if (spent && (ended || deleted)) await options.usage.record(tx, { userId, messageId: target.id, ...spent, model: provider.model });
        return ended ? 'stored' : deleted ? 'gone' : 'taken';
      });
      // Counted before the log's end is written, so whoever saw the reply end sees its tokens counted.
      // This generator's own tokens: a stopped one's were its to count.
      if (own && ending !== 'taken') options.metrics?.spent(provider.model, own);
      // A reply deleted (or replaced) meanwhile leaves no text behind in the log either.
      if (ending === 'stored') await writer.finish();
      else if (ending === 'gone') await tokenLog.delete([target.id]);
      // The conversation grew: what left the history window goes into its summary, in the background.
      if (ending === 'stored' && status === 'COMPLETE') void options.memory?.refresh(target.conversationId);
    } catch (error) {
      logger.error({ error: loggableError(error), messageId: target.id }, 'could not store the end of a reply');
    }
    if (ending === 'taken') return lost();
    // Counts, codes and timings only: the text of prompts and replies never reaches the logs.
    const line = {
      messageId: target.id,
      conversationId: target.conversationId,
      status,
      model: provider.model,
      passages: plan.passages.length,
      hops: new Set(plan.passages.map((p) => p.hop ?? 0)).size,
      unverifiedCitations: verification?.checks.filter((c) => !c.verified).length ?? 0,
      tokens: writer.count,
      promptTokens: spent?.promptTokens ?? 0,
      completionTokens: spent?.completionTokens ?? 0,
      durationMs: Math.round(performance.now() - started),
      ...(resume ? { continuedFromToken: resume.from } : {}),
      ...(signal.aborted ? { stopReason: String(signal.reason) } : {}),
      ...(failure ? { error: loggableError(failure) } : {}),
    };
    if (status === 'FAILED') logger.warn(line, 'reply failed');
    else logger.info(line, 'reply finished');
  }

  async function checkCitations(text: string, passages: readonly ChatPassage[], stopped: boolean) {
    try {
      return await verifyCitations(text, passages, stopped ? undefined : provider, AbortSignal.timeout(options.idleTimeoutMs));
    } catch (error) {
      logger.warn({ error: loggableError(error) }, 'could not check the citations of a reply');
      return undefined;
    }
  }

  function launch(target: { id: string; conversationId: string }, leased: boolean, prepare: (reply: ActiveReply, signal: AbortSignal) => Promise<Plan | undefined>, resume?: Resumption) {
    const controller = new AbortController();
    if (stopping) controller.abort('shutdown' satisfies StopReason);
    const reply: ActiveReply = { controller, done: Promise.resolve(), leased, streamed: () => 0 };
    active.set(target.id, reply);
    // In the trace of the request that started it (sendMessage): the knowledge search and the LLM call are its children.
    reply.done = withSpan(tracer, 'reply.generate', { attributes: { resumed: resume !== undefined } }, () => run(target, reply, (signal) => prepare(reply, signal), resume))
      .catch((error: unknown) => logger.error({ error: loggableError(error), messageId: target.id }, 'reply generation crashed'))
      .finally(() => {
        if (active.get(target.id) === reply) active.delete(target.id);
      });
  }

  return {
    /** Starts a reply in the background; it outlives the request that asked for it. */
    start(job: GenerationJob): void {
      launch(job.message, false, async (reply, signal) => {
        if (!(await store.takeLease(job.message.id, generatorId))) return undefined;
        reply.leased = true;
        let passages: ChatPassage[] = [];
        let planning: ChatUsage | undefined;
        if (job.useKnowledge && (await Promise.resolve().then(() => options.ragSwitch(job.viewer)).catch(() => true))) {
          // Several searches when the question needs them (a sub-question each, or what one hop found), one otherwise.
          const hops = await planHops(provider, job.question, signal, (usage) => (planning = sumUsage(planning, usage)));
          passages = await retrieveMultiHop({ question: job.question, hops, search: (query) => options.knowledge.search(query, job.caller, signal), limit: options.knowledge.limit });
        }
        const memory = await options.memory?.forPrompt(job.message.conversationId, job.question, job.caller).catch((error: unknown) => {
          logger.warn({ error: loggableError(error) }, 'replying without memory');
          return undefined;
        });
        const plan: Plan = { userId: job.viewer.userId, prompt: buildPrompt(job.history, job.question, passages, memory), passages };
        await store.savePrompt({ messageId: job.message.id, ...plan });
        return { ...plan, planning };
      });
    },

    isActive: (messageId: string) => active.has(messageId),

    /**
     * Stops a reply wherever it is generated and waits until it has ended (CANCELLED with the
     * text so far). A reply whose generator does not answer in time is ended here.
     */
    async stop(messageId: string, reason: StopReason = 'cancel'): Promise<void> {
      const local = active.get(messageId);
      if (local) {
        local.controller.abort(reason);
        await local.done;
        return;
      }
      await pubsub.publish(CANCEL_TOPIC, { messageId, reason });
      const deadline = Date.now() + cancelWaitMs;
      while (Date.now() < deadline) {
        const [row] = await store.messagesByIds([messageId]);
        if (!row || row.status !== 'STREAMING') return;
        await sleep(50);
      }
      await abandon(messageId, 'CANCELLED');
    },

    /** Ends every local reply (FAILED: the service is stopping) and waits for them to be stored. */
    async shutdown(): Promise<void> {
      stopping = true;
      clearInterval(heartbeat);
      await sweeping?.catch(() => {});
      for (const { controller } of active.values()) controller.abort('shutdown' satisfies StopReason);
      await Promise.all([...active.values()].map((a) => a.done));
      await cancelNotices.return?.();
      await listening;
    },

    sweep,
  };
}

export type Generations = ReturnType<typeof createGenerations>;

import { setTimeout as sleep } from 'node:timers/promises';
import { estimatePromptTokens, estimateTokens, type ChatMessage, type ChatPassage, type ChatProvider, type ChatUsage } from '@voiceassist/ai';
import type { Viewer } from '@voiceassist/auth';
import type { Database } from '@voiceassist/database';
import type { Logger } from '@voiceassist/logging';
import type { PubSub } from '@voiceassist/pubsub';
import type { ConversationStore } from './conversations.js';
import type { MessageRow, MessageStatus } from './db/schema.js';
import type { KnowledgeSearch } from './knowledge.js';
import { buildPrompt } from './prompt.js';
import type { RagSwitch } from './rag-switch.js';
import { loggableError } from '@voiceassist/logging';
import type { TokenLog } from './token-log.js';
import type { Usage } from './usage.js';

/** Why a generation was stopped before the provider finished. */
export type StopReason = 'cancel' | 'replaced' | 'deleted' | 'timeout' | 'shutdown';

export interface GenerationJob {
  /** The assistant message, in STREAMING, that receives the reply. */
  message: MessageRow;
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
  logger: Logger;
  /** Nothing from the provider for this long ends the reply in FAILED. */
  idleTimeoutMs: number;
  /** How often a generator renews its replies' lease; three missed renewals mark a reply abandoned. */
  heartbeatMs?: number;
  /** How long a cancel waits for another replica's generator before ending the reply itself. */
  cancelWaitMs?: number;
}

const CANCEL_TOPIC = 'conversation.cancel';

function outcomeOf(reason: unknown, failed: boolean): MessageStatus {
  if (reason === 'cancel' || reason === 'replaced' || reason === 'deleted') return 'CANCELLED';
  if (reason === 'timeout' || reason === 'shutdown' || failed) return 'FAILED';
  return 'COMPLETE';
}

/**
 * Runs replies in the background, independent of any client: each streams from the chat
 * provider into the message's token log and ends in the database as COMPLETE, CANCELLED or
 * FAILED with its usage. Cancels reach the generating replica over pub/sub.
 */
export function createGenerations(options: GenerationsOptions) {
  const { store, tokenLog, pubsub, provider, logger } = options;
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const cancelWaitMs = options.cancelWaitMs ?? 3_000;
  const active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopping = false;

  const cancelNotices = pubsub.subscribe<{ messageId: string; reason: StopReason }>(CANCEL_TOPIC);
  const listening = (async () => {
    for await (const notice of cancelNotices) active.get(notice.messageId)?.controller.abort(notice.reason);
  })();

  const heartbeat = setInterval(() => {
    if (active.size) void store.heartbeat([...active.keys()]).catch((error: unknown) => logger.warn({ error: loggableError(error) }, 'reply heartbeat failed'));
  }, heartbeatMs);
  heartbeat.unref();

  /** Ends replies whose generator vanished (its replica died): FAILED with the text their log holds. */
  async function sweep() {
    const stale = await store.staleStreaming(new Date(Date.now() - 3 * heartbeatMs));
    for (const { id } of stale) {
      if (!active.has(id)) await abandon(id, 'FAILED');
    }
  }
  const sweeper = setInterval(() => void sweep().catch((error: unknown) => logger.warn({ error: loggableError(error) }, 'abandoned reply sweep failed')), 3 * heartbeatMs);
  sweeper.unref();

  async function abandon(id: string, status: 'CANCELLED' | 'FAILED') {
    const text = (await tokenLog.range(id, -1)).map((e) => e.delta).join('');
    if (await store.abandon(id, text, status)) {
      await tokenLog.seal(id);
      logger.warn({ messageId: id, status }, 'ended a reply whose generator is gone');
    }
  }

  async function run(job: GenerationJob, controller: AbortController) {
    const { message, viewer } = job;
    const { signal } = controller;
    const started = performance.now();
    const writer = tokenLog.writer(message.id);
    let content = '';
    let reported: ChatUsage | undefined;
    let passages: ChatPassage[] = [];
    let prompt: ChatMessage[] = [];
    let failure: unknown;
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort('timeout' satisfies StopReason), options.idleTimeoutMs);
    };
    try {
      if (job.useKnowledge && (await Promise.resolve().then(() => options.ragSwitch(viewer)).catch(() => true))) {
        passages = await options.knowledge.search(job.question, job.caller, signal);
      }
      prompt = buildPrompt(job.history, job.question, passages);
      arm();
      for await (const chunk of provider.stream(prompt, { signal, passages })) {
        arm();
        if ('usage' in chunk) {
          reported = chunk.usage;
        } else if (chunk.delta) {
          // The log first: what followers saw is exactly what the message will hold.
          writer.append(chunk.delta);
          content += chunk.delta;
        }
        if (signal.aborted) break;
      }
      // Every token is stored and published before the reply counts as ended.
      await writer.flush();
    } catch (error) {
      failure = error;
    } finally {
      clearTimeout(idle);
    }

    const status = outcomeOf(signal.aborted ? signal.reason : undefined, failure !== undefined);
    const spent = reported ?? (content ? { promptTokens: estimatePromptTokens(prompt), completionTokens: estimateTokens(content) } : undefined);
    const citations = content ? [...new Set(passages.map((p) => p.id))] : [];
    let stored = false;
    try {
      stored = await options.db.transaction(async (tx) => {
        if (spent) {
          await options.usage.record(tx, { userId: viewer.userId, messageId: message.id, ...spent, model: provider.model });
        }
        return store.finishMessage(tx, message.id, {
          content,
          status,
          citations,
          promptTokens: spent?.promptTokens ?? null,
          completionTokens: spent?.completionTokens ?? null,
          model: spent ? provider.model : null,
          errorCode: status === 'FAILED' ? 'PROVIDER_UNAVAILABLE' : null,
        });
      });
      // A reply deleted (or replaced) meanwhile leaves no text behind in the log either.
      if (stored) await writer.finish();
      else await tokenLog.delete([message.id]);
    } catch (error) {
      logger.error({ error: loggableError(error), messageId: message.id }, 'could not store the end of a reply');
    }
    // Counts, codes and timings only: the text of prompts and replies never reaches the logs.
    const line = {
      messageId: message.id,
      conversationId: message.conversationId,
      status,
      model: provider.model,
      passages: passages.length,
      tokens: writer.count,
      promptTokens: spent?.promptTokens ?? 0,
      completionTokens: spent?.completionTokens ?? 0,
      durationMs: Math.round(performance.now() - started),
      ...(signal.aborted ? { stopReason: String(signal.reason) } : {}),
      ...(failure ? { error: loggableError(failure) } : {}),
    };
    if (status === 'FAILED') logger.warn(line, 'reply failed');
    else logger.info(line, 'reply finished');
  }

  return {
    /** Starts a reply in the background; it outlives the request that asked for it. */
    start(job: GenerationJob): void {
      const controller = new AbortController();
      if (stopping) controller.abort('shutdown' satisfies StopReason);
      const entry = { controller, done: Promise.resolve() };
      active.set(job.message.id, entry);
      entry.done = run(job, controller)
        .catch((error: unknown) => logger.error({ error: loggableError(error), messageId: job.message.id }, 'reply generation crashed'))
        .finally(() => active.delete(job.message.id));
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
      clearInterval(sweeper);
      for (const { controller } of active.values()) controller.abort('shutdown' satisfies StopReason);
      await Promise.all([...active.values()].map((a) => a.done));
      await cancelNotices.return?.();
      await listening;
    },

    sweep,
  };
}

export type Generations = ReturnType<typeof createGenerations>;

import { createChatProvider, traceChatProvider, type ChatProvider } from '@voiceassist/ai';
import { erasureLedger } from '@voiceassist/database/erased-users';
import { createLlmMetrics } from '@voiceassist/metrics';
import { createFlagsClient } from '@voiceassist/flags-client';
import { createSubgraphServer, defineSubgraphService, subgraphModule, type CreateServiceOptions } from '@voiceassist/subgraph-server';
import { withSubgraphResources, type ErasingSubgraphService } from '@voiceassist/subgraph-server/resources';
import { createAnalytics } from './analytics.js';
import { createChat } from './chat.js';
import { createConversationErasure } from './erasure.js';
import { conversationContext, type ConversationContext } from './context.js';
import { createConversationStore } from './conversations.js';
import { conversationDatabase } from './db/database.js';
import { erasedUsers } from './db/schema.js';
import { createMemory, createUserFactsStore } from './memory.js';
import { conversationEnvSchema, DEFAULT_FLAGS_URL, DEFAULT_KNOWLEDGE_URL, type ConversationEnv } from './env.js';
import { createFeedback } from './feedback.js';
import { createGenerations, type Generations } from './generation.js';
import { createKnowledgeSearch } from './knowledge.js';
import { permissions } from './permissions.js';
import { ragAlwaysOn, ragFlag, type RagSwitch } from './rag-switch.js';
import { resolvers } from './resolvers/index.js';
import { createTokenLog, type TokenLog } from './token-log.js';
import { budgetsFromEnv, createUsage } from './usage.js';

export { conversationEnvSchema, type ConversationEnv } from './env.js';
export type { ConversationContext } from './context.js';
export { RAG_FLAG_KEY, ragAlwaysOn, ragFlag, type RagSwitch } from './rag-switch.js';
export { MAX_MESSAGE_CHARS } from './validation.js';

export const conversationSubgraph = subgraphModule<ConversationContext>('conversation', new URL('./schema.graphql', import.meta.url), { resolvers, permissions });

export interface ConversationService extends ErasingSubgraphService {
  generations: Generations;
  tokenLog: TokenLog;
  provider: ChatProvider;
  /** The knowledge subgraph searched for passages, if any. */
  knowledgeUrl: string | undefined;
  /** Calls `listener` with every SQL statement this service sends, until the returned function is called (tests count queries). */
  observeQueries(listener: (query: string) => void): () => void;
  /** Ends replies in progress (FAILED), stops the server and releases the database and Redis. */
  close(): Promise<void>;
}

export interface ConversationServiceOptions extends CreateServiceOptions<ConversationEnv> {
  /** URLs of subgraphs started before this one (the test kit, `pnpm start`); knowledge's wins over KNOWLEDGE_URL. */
  peers?: Record<string, string> | undefined;
  /** Whether retrieval is on for a caller; by default the `conversation.rag` flag (on while unknown). */
  ragSwitch?: RagSwitch;
}

/** Opens the database (migrating it), connects the token log and builds the server; call listen() on it. */
export async function createConversationService({ env, logger, infra, peers, ragSwitch }: ConversationServiceOptions): Promise<ConversationService> {
  const queryListeners = new Set<(query: string) => void>();
  const onQuery = (query: string) => {
    for (const listener of queryListeners) listener(query);
  };
  const resources = { name: 'conversation', env, logger, infra, database: conversationDatabase, onQuery };
  return withSubgraphResources(resources, async ({ database, pubsub, redis, onReleaseTogether, serverOptions, startErasures }) => {
    const { db } = database;
    // Started by the test kit or `pnpm start`, the peers are authoritative: no knowledge among them means none.
    const knowledgeUrl = peers ? peers.knowledge : (env.KNOWLEDGE_URL ?? DEFAULT_KNOWLEDGE_URL);
    const flagsUrl = peers ? peers.flags : (env.FLAGS_URL ?? DEFAULT_FLAGS_URL);
    const flags = flagsUrl && !ragSwitch ? createFlagsClient({ url: flagsUrl, serviceToken: env.FLAGS_SERVICE_TOKEN, logger }) : undefined;
    if (flags) onReleaseTogether(() => flags.close());
    const provider = traceChatProvider(createChatProvider(env));
    const store = createConversationStore(db);
    const usage = createUsage(db, budgetsFromEnv(env));
    const tokenLog = createTokenLog({ redis, pubsub, namespace: infra.namespace, ttlSeconds: env.TOKEN_LOG_TTL_SECONDS });
    // identity's GraphQL endpoint (beside its JWKS unless the test kit or `pnpm start` says where): the user's facts live in its settings.
    const identityUrl = peers ? peers.identity : new URL('/graphql', env.JWKS_URL).href;
    const memory = createMemory({
      db,
      provider,
      usage,
      facts: createUserFactsStore({ url: identityUrl, timeoutMs: env.KNOWLEDGE_TIMEOUT_MS, logger }),
      logger,
      historyMessages: env.CHAT_HISTORY_MESSAGES,
      budgetTokens: env.CHAT_MEMORY_TOKENS,
    });
    const llmMetrics = createLlmMetrics();
    const generations = createGenerations({
      metrics: llmMetrics,
      db,
      store,
      usage,
      tokenLog,
      pubsub,
      provider,
      knowledge: createKnowledgeSearch({ url: knowledgeUrl, timeoutMs: env.KNOWLEDGE_TIMEOUT_MS, limit: env.KNOWLEDGE_PASSAGES, logger }),
      ragSwitch: ragSwitch ?? (flags ? ragFlag(flags) : ragAlwaysOn),
      memory,
      logger,
      idleTimeoutMs: env.CHAT_IDLE_TIMEOUT_MS,
      heartbeatMs: env.CHAT_HEARTBEAT_MS,
      takeoverAfterMs: env.CHAT_TAKEOVER_AFTER_MS,
    });
    const chat = createChat({ db, store, usage, generations, tokenLog, historyMessages: env.CHAT_HISTORY_MESSAGES });
    const erasure = createConversationErasure({ db, chat });
    const ledger = erasureLedger(db, erasedUsers);
    const server = createSubgraphServer<ConversationContext>({
      module: conversationSubgraph,
      context: conversationContext({
        store,
        chat,
        usage,
        generations,
        tokenLog,
        memory,
        feedback: createFeedback(db),
        analytics: createAnalytics(db),
        erasure: { progress: ledger.progress, exportData: erasure.exportData },
      }),
      ...serverOptions(),
      metrics: llmMetrics.metrics,
    });
    const erasures = startErasures(ledger, erasure.erase);
    logger.info({ model: provider.model, knowledge: knowledgeUrl ?? null, flags: flagsUrl ?? null, tokenLog: redis ? 'redis' : 'in-process' }, 'conversation service configured');
    let closing: Promise<void> | undefined;
    return {
      server,
      database,
      generations,
      tokenLog,
      provider,
      erasures,
      knowledgeUrl,
      observeQueries(listener) {
        queryListeners.add(listener);
        return () => queryListeners.delete(listener);
      },
      close() {
        closing ??= (async () => {
          await generations.shutdown();
          await memory.idle();
          await server.close();
        })();
        return closing;
      },
    };
  });
}

/** How `pnpm start`, the test kit and the deployment checks start the conversation subgraph. */
export const conversationService = defineSubgraphService({
  module: conversationSubgraph,
  envSchema: conversationEnvSchema,
  portVariable: 'CONVERSATION_PORT',
  create: ({ env, logger, infra, peers }) => createConversationService({ env, logger, infra, peers }),
});

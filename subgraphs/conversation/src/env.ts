import { aiEnvShape, chatEnvShape } from '@voiceassist/ai';
import { commonEnvShape, envVar, z } from '@voiceassist/env';

/** rover.yaml's routing URL of the knowledge subgraph, as for the router. */
export const DEFAULT_KNOWLEDGE_URL = 'http://localhost:4003/graphql';
/** rover.yaml's routing URL of the flags subgraph. */
export const DEFAULT_FLAGS_URL = 'http://localhost:4005/graphql';

/** A monthly token allowance; 0 means the role may not use the assistant. */
const budget = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const conversationEnvSchema = z.object({
  ...commonEnvShape,
  ...aiEnvShape,
  ...chatEnvShape,
  CONVERSATION_PORT: envVar.port(4002),
  /** The knowledge subgraph's GraphQL URL, searched for passages; empty means {@link DEFAULT_KNOWLEDGE_URL}. */
  KNOWLEDGE_URL: envVar.url(),
  /** The flags subgraph's URL, followed for the `conversation.rag` flag; empty means {@link DEFAULT_FLAGS_URL}. */
  FLAGS_URL: envVar.url(),
  /** The flags subgraph's backend feed secret (its FLAGS_SERVICE_TOKEN); may be empty on loopback outside production. */
  FLAGS_SERVICE_TOKEN: envVar.optionalString(),
  /** How long a knowledge search may take before the reply goes ahead without passages. */
  KNOWLEDGE_TIMEOUT_MS: envVar.positiveInt(3_000),
  /** Passages put into the prompt per reply. */
  KNOWLEDGE_PASSAGES: z.coerce.number().int().min(1).max(20).default(5),
  /** A generation that receives nothing from the provider for this long fails (PROVIDER_UNAVAILABLE). */
  CHAT_IDLE_TIMEOUT_MS: envVar.positiveInt(30_000),
  /** How often a replica renews the leases of the replies it generates and looks for replies whose replica is gone. */
  CHAT_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  /** A reply whose lease has not been renewed for this long is taken over by another replica (or the restarted one). */
  CHAT_TAKEOVER_AFTER_MS: z.coerce.number().int().min(200).max(600_000).default(3_000),
  /** Earlier messages of the conversation sent with each prompt. */
  CHAT_HISTORY_MESSAGES: z.coerce.number().int().min(0).max(200).default(20),
  /** Tokens of memory (the user's facts, then the conversation's running summary) each prompt may carry. */
  CHAT_MEMORY_TOKENS: z.coerce.number().int().min(0).max(8_000).default(400),
  /** How long a finished reply's token log is kept for late subscribers; later they stream from the database. */
  TOKEN_LOG_TTL_SECONDS: envVar.positiveInt(300),
  /** Monthly (UTC calendar month) token budget per role: prompt plus completion tokens. */
  BUDGET_TOKENS_VIEWER: budget(50_000),
  BUDGET_TOKENS_USER: budget(500_000),
  BUDGET_TOKENS_ADMIN: budget(2_000_000),
  BUDGET_TOKENS_SUPERADMIN: budget(10_000_000),
}).refine((env) => env.CHAT_TAKEOVER_AFTER_MS >= 2 * env.CHAT_HEARTBEAT_MS, {
  path: ['CHAT_TAKEOVER_AFTER_MS'],
  // One late heartbeat must not hand a live reply to another replica.
  message: 'must be at least twice CHAT_HEARTBEAT_MS',
});

export type ConversationEnv = z.infer<typeof conversationEnvSchema>;

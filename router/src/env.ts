import { commonEnvShape, envVar, z } from '@voiceassist/env';
import { QUERY_PLANNERS } from './engine/planner.js';

export const ROUTER_ENGINES = ['apollo', 'native'] as const;

export const SUBGRAPH_NAMES = ['identity', 'conversation', 'knowledge', 'voice', 'flags'] as const;

export const routerEnvSchema = z.object({
  ...commonEnvShape,
  ROUTER_PORT: envVar.port(4000),
  /** Composed by `pnpm compose`; defaults to the committed schema/supergraph.graphql. */
  SUPERGRAPH_PATH: envVar.optionalString(),
  /** Reload the supergraph when its file changes (SIGHUP reloads it either way); an invalid file is refused. */
  SUPERGRAPH_WATCH: envVar.boolean(true),
  /** Per-subgraph URL overrides of rover.yaml's routing_url (docker-compose sets these). */
  IDENTITY_URL: envVar.url(),
  CONVERSATION_URL: envVar.url(),
  KNOWLEDGE_URL: envVar.url(),
  VOICE_URL: envVar.url(),
  FLAGS_URL: envVar.url(),
  /** Browser origins allowed to call the router; Apollo Sandbox's are allowed by default. */
  CORS_ORIGINS: z
    .string()
    .default('http://localhost:4000,http://127.0.0.1:4000,https://sandbox.embed.apollographql.com,https://studio.apollographql.com')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
  /** Fits a 25 MB audio file or a 20 MB document as base64 (uploads travel in GraphQL variables). */
  ROUTER_BODY_LIMIT_BYTES: envVar.positiveInt(36_000_000),
  /** native: the router's own engine (router/src/engine) runs queries and mutations; apollo: Apollo Gateway (reference and fallback). */
  ROUTER_ENGINE: z.enum(ROUTER_ENGINES).default('native'),
  /** The native engine's planner: Hive's (native binary; Apollo's when it cannot load) or Apollo's. */
  ROUTER_QUERY_PLANNER: z.enum(QUERY_PLANNERS).default('hive'),
  /** Native engine: identical concurrent queries of one caller (same token) share one execution. */
  ROUTER_DEDUPLICATE_QUERIES: envVar.boolean(true),
  /** Native engine: operations whose query plans are cached. */
  ROUTER_QUERY_PLAN_CACHE_SIZE: envVar.positiveInt(1_000),
  /** Timeout for one subgraph fetch; long enough for embedded transcription of long dictations. */
  SUBGRAPH_TIMEOUT_MS: envVar.positiveInt(300_000),
  /** How often the router probes each subgraph's /health in the background (its /health and subgraph_up report the last probe). */
  ROUTER_SUBGRAPH_HEALTH_INTERVAL_MS: envVar.positiveInt(10_000),
  /** Open subscriptions per user (per IP when anonymous) on one router. */
  SUBSCRIPTIONS_MAX_PER_USER: envVar.positiveInt(100),
  /** Open subscriptions on one router. */
  SUBSCRIPTIONS_MAX_TOTAL: envVar.positiveInt(20_000),
  /** Events waiting for one slow client connection before the router closes it. */
  SUBSCRIPTIONS_MAX_BUFFERED_EVENTS: envVar.positiveInt(1_000),
  /** How often a quiet GraphQL over SSE stream gets a `:` comment, so proxies and clients keep it open. */
  SUBSCRIPTIONS_SSE_KEEPALIVE_MS: envVar.positiveInt(12_000),
  /** Operation limits, checked before planning; each refusal is BAD_USER_INPUT naming the limit. */
  ROUTER_MAX_DEPTH: envVar.positiveInt(15),
  ROUTER_MAX_ALIASES: envVar.positiveInt(30),
  ROUTER_MAX_ROOT_FIELDS: envVar.positiveInt(20),
  ROUTER_MAX_TOKENS: envVar.positiveInt(5_000),
  ROUTER_MAX_DIRECTIVES: envVar.positiveInt(50),
  /** Static cost: every field 1, list fields multiply what they select by `first`/`limit`. */
  ROUTER_MAX_COST: envVar.positiveInt(10_000),
  ROUTER_DEFAULT_LIST_SIZE: envVar.positiveInt(10),
  /** How deep JSON and input values in variables may nest; deeper is BAD_USER_INPUT (limit variablesDepth). */
  ROUTER_MAX_VARIABLES_DEPTH: envVar.positiveInt(32),
  /** Operations per batched HTTP request; 0 refuses batches. */
  ROUTER_MAX_BATCH_SIZE: z.coerce.number().int().min(0).default(0),
  /** Operations per minute per user (per IP when anonymous), and for everyone; 0 turns one off. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  RATE_LIMIT_GLOBAL_PER_MINUTE: z.coerce.number().int().min(0).default(60_000),
  /** off: anything runs; log: unknown operations are logged; safelist: only the manifest runs. */
  TRUSTED_OPERATIONS_MODE: z.enum(['off', 'log', 'safelist']).default('off'),
  /** Manifest of trusted operations ({ "operations": { "<sha256>": "<document>" } }). */
  TRUSTED_OPERATIONS_PATH: envVar.optionalString(),
  /** Introspection and the Sandbox landing page; off in production unless set to true. */
  ROUTER_INTROSPECTION: envVar.optionalBoolean(),
  ROUTER_SANDBOX: envVar.optionalBoolean(),
  /** Strict-Transport-Security on every response (set when TLS terminates in front of the router). */
  ROUTER_HSTS: envVar.boolean(false),
  /** Apollo Gateway's own usage telemetry to Apollo (host, OS and CPU facts); off unless set to false. */
  APOLLO_TELEMETRY_DISABLED: envVar.boolean(true),
});

export type RouterEnv = z.infer<typeof routerEnvSchema>;

export function subgraphUrlOverrides(env: RouterEnv): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const name of SUBGRAPH_NAMES) {
    const url = env[`${name.toUpperCase()}_URL` as 'IDENTITY_URL'];
    if (url) overrides[name] = url;
  }
  return overrides;
}

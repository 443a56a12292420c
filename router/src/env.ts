import { commonEnvShape, envVar, z } from '@voiceassist/env';

export const SUBGRAPH_NAMES = ['identity', 'conversation', 'knowledge', 'voice', 'flags'] as const;

export const routerEnvSchema = z.object({
  ...commonEnvShape,
  ROUTER_PORT: envVar.port(4000),
  /** Composed by `pnpm compose`; defaults to the committed schema/supergraph.graphql. */
  SUPERGRAPH_PATH: envVar.optionalString(),
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
  ROUTER_BODY_LIMIT_BYTES: envVar.positiveInt(1_000_000),
  /** Timeout for one subgraph fetch. */
  SUBGRAPH_TIMEOUT_MS: envVar.positiveInt(30_000),
  /** Open subscriptions per user (per IP when anonymous) on one router. */
  SUBSCRIPTIONS_MAX_PER_USER: envVar.positiveInt(100),
  /** Open subscriptions on one router. */
  SUBSCRIPTIONS_MAX_TOTAL: envVar.positiveInt(20_000),
  /** Events waiting for one slow client connection before the router closes it. */
  SUBSCRIPTIONS_MAX_BUFFERED_EVENTS: envVar.positiveInt(1_000),
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

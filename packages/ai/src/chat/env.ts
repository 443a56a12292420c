import { z } from '@voiceassist/env';

/** Variables of the chat providers; spread with aiEnvShape into the env schema of a service that chats. */
export const chatEnvShape = {
  /** The model asked for when an OpenAI-compatible server is configured. */
  OPENAI_CHAT_MODEL: z.string().min(1).default('gpt-4o-mini'),
  /** The embedded provider's pause before each token, in ms (0 streams at once). */
  CHAT_EMBEDDED_TOKEN_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(20),
};

export type ChatEnv = z.infer<z.ZodObject<typeof chatEnvShape>>;


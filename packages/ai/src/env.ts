import { envVar, type z } from '@voiceassist/env';

/**
 * Variables of the AI providers, spread into the env schema of each subgraph that uses them.
 * With neither OPENAI_BASE_URL nor OPENAI_API_KEY set, the embedded providers are used.
 */
export const aiEnvShape = {
  OPENAI_BASE_URL: envVar.url(),
  OPENAI_API_KEY: envVar.optionalString(),
  OPENAI_TIMEOUT_MS: envVar.positiveInt(60_000),
};

export type AIEnv = z.infer<z.ZodObject<typeof aiEnvShape>>;

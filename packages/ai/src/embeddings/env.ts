import { envVar, z } from '@voiceassist/env';

/** Variables of the embedding providers; spread with aiEnvShape into the env schema of a service that embeds. */
export const embeddingsEnvShape = {
  /**
   * `auto` uses the OpenAI-compatible server when OPENAI_BASE_URL or OPENAI_API_KEY is set and
   * the embedded hashed n-gram embeddings otherwise; `openai` and `embedded` force one.
   */
  EMBEDDING_PROVIDER: z.enum(['auto', 'openai', 'embedded']).default('auto'),
  /** The embedding model asked for from an OpenAI-compatible server. */
  OPENAI_EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
  /**
   * Vector size of OPENAI_EMBEDDING_MODEL; needed for models whose size is not known here (Ollama,
   * vLLM, llama.cpp). text-embedding-3 models are asked to shorten their vectors to it.
   */
  OPENAI_EMBEDDING_DIMENSION: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().max(16_000).optional()),
  /** Texts per embeddings request. */
  OPENAI_EMBEDDING_BATCH_SIZE: envVar.positiveInt(64),
};

export type EmbeddingsEnv = z.infer<z.ZodObject<typeof embeddingsEnvShape>>;

import type { AIEnv } from '../env.js';
import { createOpenAIClient, openAIConfigured } from '../openai-client.js';
import type { EmbeddingsEnv } from './env.js';
import { createHashedEmbeddingProvider } from './hashed.js';
import { createOpenAIEmbeddingProvider, KNOWN_EMBEDDING_DIMENSIONS } from './openai.js';
import type { EmbeddingProvider } from './provider.js';

export * from './provider.js';
export { embeddingsEnvShape, type EmbeddingsEnv } from './env.js';
export { createHashedEmbeddingProvider, embeddingWords, hashedEmbedding, HASHED_EMBEDDING_DIMENSION, HASHED_EMBEDDING_MODEL } from './hashed.js';
export { createOpenAIEmbeddingProvider, KNOWN_EMBEDDING_DIMENSIONS, type OpenAIEmbeddingOptions } from './openai.js';

/**
 * The OpenAI-compatible provider when EMBEDDING_PROVIDER is `openai`, or `auto` with
 * OPENAI_BASE_URL or OPENAI_API_KEY set; the embedded hashed n-gram provider otherwise.
 * Throws when the model's vector size is unknown and OPENAI_EMBEDDING_DIMENSION is unset.
 */
export function createEmbeddingProvider(env: AIEnv & EmbeddingsEnv): EmbeddingProvider {
  const connection = { baseUrl: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY, timeoutMs: env.OPENAI_TIMEOUT_MS };
  const useOpenAI = env.EMBEDDING_PROVIDER === 'openai' || (env.EMBEDDING_PROVIDER === 'auto' && openAIConfigured(connection));
  if (!useOpenAI) return createHashedEmbeddingProvider();
  const dimension = env.OPENAI_EMBEDDING_DIMENSION ?? KNOWN_EMBEDDING_DIMENSIONS[env.OPENAI_EMBEDDING_MODEL];
  if (!dimension) {
    throw new Error(`Set OPENAI_EMBEDDING_DIMENSION: the vector size of embedding model "${env.OPENAI_EMBEDDING_MODEL}" is not known`);
  }
  return createOpenAIEmbeddingProvider({
    client: createOpenAIClient(connection),
    model: env.OPENAI_EMBEDDING_MODEL,
    dimension,
    // Only text-embedding-3 models take `dimensions`; other servers may reject the parameter.
    requestDimensions: env.OPENAI_EMBEDDING_DIMENSION !== undefined && env.OPENAI_EMBEDDING_MODEL.startsWith('text-embedding-3'),
    batchSize: env.OPENAI_EMBEDDING_BATCH_SIZE,
  });
}

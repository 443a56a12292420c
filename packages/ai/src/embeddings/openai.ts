import OpenAI from 'openai';
import { EmbeddingProviderError, normalizeVector, type EmbeddingProvider } from './provider.js';

/** Vector sizes of well-known models, so OPENAI_EMBEDDING_DIMENSION is needed only for others. */
export const KNOWN_EMBEDDING_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
  'nomic-embed-text': 768,
  'mxbai-embed-large': 1024,
  'all-minilm': 384,
};

export interface OpenAIEmbeddingOptions {
  client: OpenAI;
  model: string;
  dimension: number;
  /** Send `dimensions` with each request (text-embedding-3 models shorten their vectors to it). */
  requestDimensions?: boolean;
  /** Texts per request. */
  batchSize?: number;
}

function providerError(error: unknown): EmbeddingProviderError {
  if (error instanceof EmbeddingProviderError) return error;
  if (error instanceof OpenAI.APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    return new EmbeddingProviderError(status ? `Embedding provider answered ${status}` : 'Embedding provider unreachable', status, { cause: error });
  }
  return new EmbeddingProviderError('Embedding request failed', undefined, { cause: error });
}

/** Embeddings from any OpenAI-compatible server (OpenAI, vLLM, Ollama, llama.cpp), in batches. */
export function createOpenAIEmbeddingProvider({ client, model, dimension, requestDimensions = false, batchSize = 64 }: OpenAIEmbeddingOptions): EmbeddingProvider {
  return {
    model,
    dimension,
    async embed(texts) {
      const vectors: number[][] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        const batch = texts.slice(start, start + batchSize);
        let response;
        try {
          response = await client.embeddings.create({
            model,
            input: batch,
            // Floats: not every compatible server speaks the SDK's default base64.
            encoding_format: 'float',
            ...(requestDimensions ? { dimensions: dimension } : {}),
          });
        } catch (error) {
          throw providerError(error);
        }
        const byIndex = [...response.data].sort((a, b) => a.index - b.index);
        if (byIndex.length !== batch.length) {
          throw new EmbeddingProviderError(`Embedding provider returned ${byIndex.length} vectors for ${batch.length} texts`);
        }
        for (const item of byIndex) {
          if (!Array.isArray(item.embedding) || item.embedding.length !== dimension) {
            throw new EmbeddingProviderError(
              `Embedding model ${model} returned vectors of size ${Array.isArray(item.embedding) ? item.embedding.length : 'unknown'}, expected ${dimension} (OPENAI_EMBEDDING_DIMENSION)`,
            );
          }
          vectors.push(normalizeVector([...item.embedding]));
        }
      }
      return vectors;
    },
  };
}

import { ProviderError } from '../provider-error.js';

/** Text to vectors behind one interface, whichever server (or none) is underneath. */
export interface EmbeddingProvider {
  /** Stored with every vector, so vectors of different models are never compared. */
  readonly model: string;
  /** Length of every vector `embed` returns. */
  readonly dimension: number;
  /** One L2-normalised vector per text, in order (cosine similarity is then a dot product). */
  embed(texts: string[]): Promise<number[][]>;
}

/** The provider could not embed: unreachable, an error status, or vectors of the wrong size. */
export class EmbeddingProviderError extends ProviderError {
  // Spelled out: bundling may rename classes, and logs name the error by this.
  override name = 'EmbeddingProviderError';
}

/** Scales a vector to unit length in place (a zero vector stays zero) and returns it. */
export function normalizeVector<T extends { length: number; [index: number]: number }>(vector: T): T {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  if (sum === 0) return vector;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! * scale;
  return vector;
}

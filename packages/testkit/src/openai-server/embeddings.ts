import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerFakeOpenAIRoute, sendOpenAIError, type FakeOpenAIServer } from './index.js';

/**
 * POST /v1/embeddings of the fake OpenAI server: deterministic bag-of-words vectors (texts that
 * share words are near), as floats or base64 as `encoding_format` asks, with usage. Knobs, read
 * per request from `server.behaviour`:
 * - `embeddingsDimension` (number): vector size when the request names no `dimensions`; default 1536.
 * - `embeddingsDelayMs` (number): pause before answering.
 * - `embeddingsHold` (Promise): answer only once it settles (a test holds indexing mid-way).
 * - `embeddingsFailStatus` (number): answer every request with this HTTP error status.
 * - `embeddingsFailAfterRequests` (number): answer that many requests, then fail with 500.
 */
export const FAKE_EMBEDDING_DEFAULT_DIMENSION = 1536;

export interface FakeEmbeddingStats {
  /** Embedding requests received. */
  requests: number;
  /** Texts embedded, over all successful requests. */
  texts: number;
}

const stats = new WeakMap<FakeOpenAIServer, FakeEmbeddingStats>();

/** What the embeddings route has seen on this server. */
export function fakeEmbeddingStats(server: FakeOpenAIServer): FakeEmbeddingStats {
  let current = stats.get(server);
  if (!current) stats.set(server, (current = { requests: 0, texts: 0 }));
  return current;
}

interface EmbeddingRequestBody {
  model?: string;
  input?: string | string[];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
}

const numberKnob = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** Each lower-cased word adds ±1 at a position drawn from its hash; unit length. */
export function fakeEmbedding(text: string, dimension: number): number[] {
  const vector = new Array<number>(dimension).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const digest = createHash('sha256').update(word).digest();
    vector[digest.readUInt32LE(0) % dimension]! += digest[4]! & 1 ? 1 : -1;
  }
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0)) || 1;
  return vector.map((x) => x / norm);
}

registerFakeOpenAIRoute('POST /v1/embeddings', async (request, res, server) => {
  const counters = fakeEmbeddingStats(server);
  counters.requests += 1;
  const behaviour = server.behaviour;
  if (behaviour.embeddingsHold instanceof Promise) await behaviour.embeddingsHold.catch(() => {});
  const delay = numberKnob(behaviour.embeddingsDelayMs);
  if (delay) await sleep(delay);
  const failStatus = numberKnob(behaviour.embeddingsFailStatus);
  if (failStatus) return sendOpenAIError(res, failStatus, `Fake failure with status ${failStatus}`);
  const failAfter = numberKnob(behaviour.embeddingsFailAfterRequests);
  if (failAfter !== undefined && counters.requests > failAfter) return sendOpenAIError(res, 500, 'Fake failure after earlier requests');

  const body = request.json<EmbeddingRequestBody>();
  const inputs = typeof body.input === 'string' ? [body.input] : body.input;
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.some((input) => typeof input !== 'string')) {
    return sendOpenAIError(res, 400, 'input must be a string or an array of strings', 'invalid_request_error');
  }
  const dimension = body.dimensions ?? numberKnob(behaviour.embeddingsDimension) ?? FAKE_EMBEDDING_DEFAULT_DIMENSION;
  counters.texts += inputs.length;
  const data = inputs.map((input, index) => {
    const vector = fakeEmbedding(input, dimension);
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const tokens = inputs.reduce((sum, input) => sum + Math.ceil(input.length / 4), 0);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ object: 'list', data, model: body.model ?? 'fake-embedding', usage: { prompt_tokens: tokens, total_tokens: tokens } }));
});

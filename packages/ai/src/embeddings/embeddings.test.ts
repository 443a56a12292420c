import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv, z } from '@voiceassist/env';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import { fakeEmbeddingStats } from '@voiceassist/testkit/openai-server/embeddings';
import { aiEnvShape } from '../env.js';
import { createOpenAIClient } from '../openai-client.js';
import {
  createEmbeddingProvider,
  createHashedEmbeddingProvider,
  createOpenAIEmbeddingProvider,
  EmbeddingProviderError,
  embeddingsEnvShape,
  HASHED_EMBEDDING_DIMENSION,
  HASHED_EMBEDDING_MODEL,
} from './index.js';

const envSchema = z.object({ ...aiEnvShape, ...embeddingsEnvShape });
const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
const norm = (v: number[]) => Math.sqrt(cosine(v, v));

describe('hashed n-gram embeddings (embedded default)', () => {
  const provider = createHashedEmbeddingProvider();

  it('gives deterministic unit vectors of the stated size', async () => {
    const [a, b] = await provider.embed(['Give broad-spectrum antibiotics within one hour.', 'Give broad-spectrum antibiotics within one hour.']);
    expect(provider.model).toBe(HASHED_EMBEDDING_MODEL);
    expect(a).toHaveLength(HASHED_EMBEDDING_DIMENSION);
    expect(a).toEqual(b);
    expect(norm(a!)).toBeCloseTo(1, 5);
  });

  it('places texts about the same thing nearer than unrelated ones, forgiving word forms and spellings', async () => {
    const [question, answer, unrelated, british, american] = await provider.embed([
      'treatment of hyperkalemia',
      'Hyperkalaemia: give calcium gluconate and insulin with glucose to shift potassium.',
      'Offer the yearly influenza vaccine to everyone aged 65 or over.',
      'haemorrhage',
      'hemorrhage',
    ]);
    expect(cosine(question!, answer!)).toBeGreaterThan(2 * cosine(question!, unrelated!));
    expect(cosine(british!, american!)).toBeGreaterThan(0.4);
  });

  it('weighs rare words above everyday ones', async () => {
    const [query, rareMatch, commonMatch] = await provider.embed(['patient copd', 'copd exacerbation', 'patient review']);
    expect(cosine(query!, rareMatch!)).toBeGreaterThan(cosine(query!, commonMatch!));
  });

  it('embeds empty and symbol-only text as a zero vector rather than failing', async () => {
    const [empty] = await provider.embed(['  ... ']);
    expect(norm(empty!)).toBe(0);
  });
});

describe('OpenAI-compatible embeddings (against the test kit fake)', () => {
  let fake: FakeOpenAIServer;
  beforeAll(async () => {
    fake = await startFakeOpenAIServer();
  });
  afterAll(() => fake.close());

  const client = () => createOpenAIClient({ baseUrl: fake.baseUrl, apiKey: 'test', timeoutMs: 5_000 });

  it('embeds in batches, keeps the order and normalises', async () => {
    fake.behaviour = {};
    const before = fakeEmbeddingStats(fake).requests;
    const provider = createOpenAIEmbeddingProvider({ client: client(), model: 'text-embedding-3-small', dimension: 64, requestDimensions: true, batchSize: 2 });
    const texts = ['sepsis bundle', 'asthma inhaler', 'sepsis bundle', 'stroke thrombolysis', 'warfarin'];
    const vectors = await provider.embed(texts);
    expect(fakeEmbeddingStats(fake).requests - before).toBe(3);
    expect(vectors).toHaveLength(5);
    expect(vectors.every((v) => v.length === 64 && Math.abs(norm(v) - 1) < 1e-6)).toBe(true);
    expect(vectors[0]).toEqual(vectors[2]);
    const body = fake.requests.at(-1)!.json<{ model: string; dimensions: number; encoding_format: string }>();
    expect(body).toMatchObject({ model: 'text-embedding-3-small', dimensions: 64, encoding_format: 'float' });
  });

  it('refuses vectors of another size than configured, naming the setting', async () => {
    fake.behaviour = { embeddingsDimension: 32 };
    const provider = createOpenAIEmbeddingProvider({ client: client(), model: 'nomic-embed-text', dimension: 64 });
    await expect(provider.embed(['x'])).rejects.toThrow(/size 32, expected 64 \(OPENAI_EMBEDDING_DIMENSION\)/);
  });

  it('reports error statuses as EmbeddingProviderError with the status', async () => {
    fake.behaviour = { embeddingsFailStatus: 503 };
    const provider = createOpenAIEmbeddingProvider({ client: client(), model: 'm', dimension: 8 });
    const error = await provider.embed(['x']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingProviderError);
    expect(error).toMatchObject({ status: 503, message: 'Embedding provider answered 503' });
  });

  it('createEmbeddingProvider picks the provider from the env', () => {
    expect(createEmbeddingProvider(loadEnv(envSchema, {})).model).toBe(HASHED_EMBEDDING_MODEL);
    const openai = createEmbeddingProvider(loadEnv(envSchema, { OPENAI_BASE_URL: fake.baseUrl }));
    expect(openai).toMatchObject({ model: 'text-embedding-3-small', dimension: 1536 });
    expect(createEmbeddingProvider(loadEnv(envSchema, { OPENAI_BASE_URL: fake.baseUrl, EMBEDDING_PROVIDER: 'embedded' })).model).toBe(HASHED_EMBEDDING_MODEL);
    expect(() => createEmbeddingProvider(loadEnv(envSchema, { OPENAI_API_KEY: 'k', OPENAI_EMBEDDING_MODEL: 'my-model' }))).toThrow(/OPENAI_EMBEDDING_DIMENSION/);
    expect(createEmbeddingProvider(loadEnv(envSchema, { OPENAI_API_KEY: 'k', OPENAI_EMBEDDING_MODEL: 'my-model', OPENAI_EMBEDDING_DIMENSION: '256' })).dimension).toBe(256);
  });
});

import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, loadEnv } from '@voiceassist/env';
import { benchEnvSchema } from './env.js';

describe('benchmarks environment', () => {
  it('measures stock Apollo Gateway beside the apollo engine unless told otherwise', () => {
    expect(loadEnv(benchEnvSchema, {})).toMatchObject({ GATEWAY_BENCH_ENGINES: ['native'], SUBSCRIPTIONS_BENCH_PARTS: ['streams', 'broadcast', 'entity', 'memory'] });
  });

  it('reads comma-separated lists, spaces allowed', () => {
    expect(loadEnv(benchEnvSchema, { GATEWAY_BENCH_ENGINES: 'native, native-nodedup', KNOWLEDGE_BENCH_EF: '200,400', KNOWLEDGE_BENCH_HNSW: '16,64' })).toMatchObject({
      GATEWAY_BENCH_ENGINES: ['native', 'native-nodedup'],
      KNOWLEDGE_BENCH_EF: [200, 400],
      KNOWLEDGE_BENCH_HNSW: [16, 64],
    });
    expect(loadEnv(benchEnvSchema, { KNOWLEDGE_BENCH_EF: 'none' }).KNOWLEDGE_BENCH_EF).toBe('none');
  });

  it('refuses an unknown engine or a malformed number list, naming the variable', () => {
    expect(() => loadEnv(benchEnvSchema, { GATEWAY_BENCH_ENGINES: 'native,nativ' })).toThrow(/GATEWAY_BENCH_ENGINES/);
    expect(() => loadEnv(benchEnvSchema, { KNOWLEDGE_BENCH_HNSW: '16' })).toThrow(InvalidEnvironmentError);
    expect(() => loadEnv(benchEnvSchema, { KNOWLEDGE_BENCH_SIZES: '100,abc' })).toThrow(/KNOWLEDGE_BENCH_SIZES/);
  });
});

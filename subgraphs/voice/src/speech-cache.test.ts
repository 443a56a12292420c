import { describe, expect, it } from 'vitest';
import { createSpeechCache, type CachedSpeech } from './speech-cache.js';

const entry = (bytes: number, fill = 1): CachedSpeech => ({ audio: Buffer.alloc(bytes, fill), format: 'wav', mimeType: 'audio/wav', durationMs: bytes, voice: 'v', rate: 1 });

describe('speech cache (in memory)', () => {
  it('keeps the most recently used entries within its byte budget', async () => {
    const cache = createSpeechCache({ maxBytes: 1000 });
    await cache.set('a', entry(250, 1));
    await cache.set('b', entry(250, 2));
    await cache.set('c', entry(250, 3));
    await cache.set('d', entry(250, 4));
    expect(await cache.get('a')).toBeDefined(); // a is now the most recent
    await cache.set('e', entry(250, 5));
    expect(await cache.get('b')).toBeUndefined();
    for (const key of ['a', 'c', 'd', 'e']) expect((await cache.get(key))?.audio.length, key).toBe(250);
  });

  it('does not keep entries over a quarter of the budget, and keeps nothing with a zero budget', async () => {
    const cache = createSpeechCache({ maxBytes: 1000 });
    await cache.set('big', entry(251));
    expect(await cache.get('big')).toBeUndefined();
    const off = createSpeechCache({ maxBytes: 0 });
    await off.set('x', entry(1));
    expect(await off.get('x')).toBeUndefined();
  });
});

describe('speech cache owners', () => {
  it('forgets every entry an owner asked for, shared ones too, and nobody else’s', async () => {
    const cache = createSpeechCache({ maxBytes: 10_000 });
    await cache.set('mine', entry(100, 1));
    await cache.own('mine', 'alice');
    await cache.set('shared', entry(100, 2));
    await cache.own('shared', 'bob');
    await cache.own('shared', 'alice');
    await cache.set('theirs', entry(100, 3));
    await cache.own('theirs', 'bob');
    await cache.forgetOwner('alice');
    expect(await cache.get('mine')).toBeUndefined();
    expect(await cache.get('shared')).toBeUndefined();
    expect(await cache.get('theirs')).toBeDefined();
    await cache.forgetOwner('alice');
  });

  it('lets entries in memory expire with the cache TTL', async () => {
    const cache = createSpeechCache({ maxBytes: 10_000, ttlSeconds: 0.05 });
    await cache.set('soon', entry(100));
    expect(await cache.get('soon')).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await cache.get('soon')).toBeUndefined();
  });
});

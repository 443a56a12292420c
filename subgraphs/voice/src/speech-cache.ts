import type { SpeechFormat } from '@voiceassist/ai';
import type { Redis } from '@voiceassist/redis';

export interface CachedSpeech {
  audio: Buffer;
  format: SpeechFormat;
  mimeType: string;
  durationMs: number;
  voice: string;
  rate: number;
}

/** Synthesized speech by key: a bounded LRU in this process, and Redis (with a TTL) shared by every instance when configured. */
export interface SpeechCache {
  get(key: string): Promise<CachedSpeech | undefined>;
  set(key: string, value: CachedSpeech): Promise<void>;
}

export interface SpeechCacheOptions {
  /** Audio bytes kept in memory; 0 disables the cache entirely. */
  maxBytes: number;
  redis?: Redis | undefined;
  ttlSeconds?: number;
}

/** Memory first; Redis second (a hit there is copied into memory). Entries above a quarter of the budget are not kept. */
export function createSpeechCache({ maxBytes, redis, ttlSeconds = 86_400 }: SpeechCacheOptions): SpeechCache {
  const entries = new Map<string, CachedSpeech>();
  let bytes = 0;
  const maxEntryBytes = Math.floor(maxBytes / 4);

  const remember = (key: string, value: CachedSpeech) => {
    const existing = entries.get(key);
    if (existing) {
      bytes -= existing.audio.length;
      entries.delete(key);
    }
    entries.set(key, value);
    bytes += value.audio.length;
    for (const [oldest, entry] of entries) {
      if (bytes <= maxBytes) break;
      entries.delete(oldest);
      bytes -= entry.audio.length;
    }
  };

  const redisKey = (key: string) => `voice:speech:${key}`;

  return {
    async get(key) {
      if (maxBytes === 0) return undefined;
      const hit = entries.get(key);
      if (hit) {
        // Most recently used goes to the end.
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      if (!redis) return undefined;
      const stored = await redis.getBuffer(redisKey(key)).catch(() => null);
      const decoded = stored ? decode(stored) : undefined;
      if (decoded) remember(key, decoded);
      return decoded;
    },
    async set(key, value) {
      if (maxBytes === 0 || value.audio.length > maxEntryBytes) return;
      remember(key, value);
      // A cache: a Redis hiccup costs a re-synthesis, not the request.
      await redis?.set(redisKey(key), encode(value), 'EX', ttlSeconds).catch(() => {});
    },
  };
}

/** [4-byte header length][JSON header][audio]. */
function encode(value: CachedSpeech): Buffer {
  const { audio, ...meta } = value;
  const header = Buffer.from(JSON.stringify(meta), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  return Buffer.concat([length, header, audio]);
}

function decode(stored: Buffer): CachedSpeech | undefined {
  try {
    const length = stored.readUInt32BE(0);
    const meta = JSON.parse(stored.toString('utf8', 4, 4 + length)) as Omit<CachedSpeech, 'audio'>;
    return { ...meta, audio: stored.subarray(4 + length) };
  } catch {
    return undefined;
  }
}

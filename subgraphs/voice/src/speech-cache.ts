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

/**
 * Synthesized speech by key (a hash of engine, voice, rate, format and text): a bounded LRU in
 * this process, and Redis (with a TTL) shared by every instance when configured. Each entry is
 * indexed by the people who asked for it, so erasing a person removes the speech of their text.
 */
export interface SpeechCache {
  get(key: string): Promise<CachedSpeech | undefined>;
  set(key: string, value: CachedSpeech): Promise<void>;
  /** Records that `owner` asked for the entry at `key` (stored or found), for {@link forgetOwner}. */
  own(key: string, owner: string): Promise<void>;
  /** Removes every entry `owner` asked for, from this process and from Redis. */
  forgetOwner(owner: string): Promise<void>;
}

export interface SpeechCacheOptions {
  /** Audio bytes kept in memory; 0 disables the cache entirely. */
  maxBytes: number;
  redis?: Redis | undefined;
  /** How long an entry lives, in Redis and in memory. */
  ttlSeconds?: number;
}

interface MemoryEntry {
  value: CachedSpeech;
  expiresAt: number;
  owners: Set<string>;
}

/** Memory first; Redis second (a hit there is copied into memory). Entries above a quarter of the budget are not kept. */
export function createSpeechCache({ maxBytes, redis, ttlSeconds = 86_400 }: SpeechCacheOptions): SpeechCache {
  const entries = new Map<string, MemoryEntry>();
  const keysByOwner = new Map<string, Set<string>>();
  let bytes = 0;
  const maxEntryBytes = Math.floor(maxBytes / 4);

  const index = (owner: string, key: string) => {
    const keys = keysByOwner.get(owner);
    if (keys) keys.add(key);
    else keysByOwner.set(owner, new Set([key]));
  };

  const drop = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.value.audio.length;
    for (const owner of entry.owners) {
      const keys = keysByOwner.get(owner);
      keys?.delete(key);
      if (keys?.size === 0) keysByOwner.delete(owner);
    }
  };

  const remember = (key: string, value: CachedSpeech) => {
    const owners = entries.get(key)?.owners ?? new Set<string>();
    drop(key);
    entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000, owners });
    for (const owner of owners) index(owner, key);
    bytes += value.audio.length;
    for (const oldest of entries.keys()) {
      if (bytes <= maxBytes) break;
      drop(oldest);
    }
  };

  const redisKey = (key: string) => `voice:speech:${key}`;
  const ownerKey = (owner: string) => `voice:speech-owner:${owner}`;

  return {
    async get(key) {
      if (maxBytes === 0) return undefined;
      const hit = entries.get(key);
      if (hit && hit.expiresAt > Date.now()) {
        // Most recently used goes to the end.
        entries.delete(key);
        entries.set(key, hit);
        return hit.value;
      }
      if (hit) drop(key);
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
    async own(key, owner) {
      if (maxBytes === 0) return;
      const entry = entries.get(key);
      if (entry) {
        entry.owners.add(owner);
        index(owner, key);
      }
      // The index lives as long as the newest entry it lists.
      await redis?.multi().sadd(ownerKey(owner), key).expire(ownerKey(owner), ttlSeconds).exec().catch(() => {});
    },
    async forgetOwner(owner) {
      for (const key of [...(keysByOwner.get(owner) ?? [])]) drop(key);
      keysByOwner.delete(owner);
      if (!redis) return;
      // Unlike the cache's reads and writes, erasure must not pass silently: errors reach the caller (it retries).
      const keys = await redis.smembers(ownerKey(owner));
      await redis.del(ownerKey(owner), ...keys.map(redisKey));
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

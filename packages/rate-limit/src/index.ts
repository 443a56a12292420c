import { redisConnectionState, type Redis } from '@voiceassist/redis';

export interface RateLimitResult {
  allowed: boolean;
  count: number;
  /** Milliseconds until the window resets. */
  retryAfterMs: number;
}

/** Fixed-window counters: cheap, and shared across instances when backed by Redis. */
export interface RateLimiter {
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
  reset(key: string): Promise<void>;
}

export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  let lastSweep = now();
  return {
    async hit(key, limit, windowMs) {
      const time = now();
      if (time - lastSweep > 60_000) {
        for (const [k, w] of windows) if (w.resetAt <= time) windows.delete(k);
        lastSweep = time;
      }
      let window = windows.get(key);
      if (!window || window.resetAt <= time) windows.set(key, (window = { count: 0, resetAt: time + windowMs }));
      window.count += 1;
      return { allowed: window.count <= limit, count: window.count, retryAfterMs: window.resetAt - time };
    },
    async reset(key) {
      windows.delete(key);
    },
  };
}

// INCR and set the expiry atomically on the first hit of a window.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
return { count, ttl }
`;

/**
 * Counters in Redis, shared by every instance. While Redis is away (known down, or a command
 * fails) each instance counts in its own memory instead: limits hold per instance, and no
 * request waits on, or fails for, a Redis that does not answer.
 */
export function createRedisRateLimiter(redis: Redis, prefix = 'ratelimit:', fallback: RateLimiter = createMemoryRateLimiter()): RateLimiter {
  return {
    async hit(key, limit, windowMs) {
      if (redisConnectionState(redis) === 'down') return fallback.hit(key, limit, windowMs);
      let reply: [number, number];
      try {
        reply = (await redis.eval(HIT_SCRIPT, 1, prefix + key, String(windowMs))) as [number, number];
      } catch {
        return fallback.hit(key, limit, windowMs);
      }
      const [count, ttl] = reply;
      return { allowed: count <= limit, count, retryAfterMs: ttl > 0 ? ttl : windowMs };
    },
    async reset(key) {
      await fallback.reset(key);
      await redis.del(prefix + key).catch(() => {});
    },
  };
}

import { createHash } from 'node:crypto';
import { rateLimited } from '@voiceassist/errors';
import type { RateLimiter } from '@voiceassist/rate-limit';

export type ThrottledAction = 'login' | 'register' | 'change-password';

export interface AuthThrottle {
  /** Counts one attempt against every key given and throws RATE_LIMITED if any is over the limit. */
  attempt(action: ThrottledAction, keys: { ip?: string | undefined; email?: string | undefined; userId?: string | undefined }): Promise<void>;
}

const WINDOW_MS = 60_000;

// Emails are hashed so the limiter's store (Redis) holds no addresses.
const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

export function createAuthThrottle(limiter: RateLimiter, perMinute: number): AuthThrottle {
  return {
    async attempt(action, { ip, email, userId }) {
      const keys = [
        ip ? `auth:${action}:ip:${ip}` : undefined,
        email ? `auth:${action}:email:${digest(email)}` : undefined,
        userId ? `auth:${action}:user:${userId}` : undefined,
      ].filter((k): k is string => k !== undefined);
      const results = await Promise.all(keys.map((key) => limiter.hit(key, perMinute, WINDOW_MS)));
      const refused = results.filter((r) => !r.allowed);
      if (refused.length > 0) throw rateLimited(Math.max(...refused.map((r) => r.retryAfterMs)) / 1000);
    },
  };
}

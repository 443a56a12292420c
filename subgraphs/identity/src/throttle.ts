import { createHash } from 'node:crypto';
import { rateLimited } from '@voiceassist/errors';
import type { RateLimiter, RateLimitResult } from '@voiceassist/rate-limit';

export type ThrottledAction = 'register' | 'change-password' | 'delete-account';

interface LoginKeys {
  ip: string | undefined;
  email: string;
}

export interface AuthThrottle {
  /** Counts one attempt against every key given and throws RATE_LIMITED if any is over the limit. */
  attempt(action: ThrottledAction, keys: { ip?: string | undefined; email?: string | undefined; userId?: string | undefined }): Promise<void>;
  /** Before a password is checked: throws RATE_LIMITED when this address may not try this email now (the rule below). */
  login(keys: LoginKeys): Promise<void>;
  /** After the right password: this address's attempts at this email, and the email's, stop counting. */
  loginSucceeded(keys: LoginKeys): Promise<void>;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const EMAIL_WINDOW_MS = 15 * MINUTE_MS;

// Emails are hashed so the limiter's store (Redis) holds no addresses.
const digest = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

/**
 * Login throttling that stops guessing without letting anyone lock an owner out. With `perMinute`
 * = AUTH_THROTTLE_PER_MINUTE (10):
 *
 * - one address and one email: `perMinute` attempts a minute and 3 × `perMinute` an hour, so a
 *   guesser waits a minute, then up to the hour (progressively longer);
 * - one address, any emails: 3 × `perMinute` attempts a minute (spraying one password over
 *   many accounts);
 * - one email, any addresses: past 3 × `perMinute` attempts in 15 minutes the email is under
 *   attack, and each address gets one attempt at it an hour. Guessing from many addresses gets
 *   one guess per address; the owner, from an address that has not been guessing, still gets
 *   in: it is never refused outright.
 *
 * A successful login clears that address's count for that email and the email's own count (only
 * the right password does it). Refresh tokens are never throttled here: a valid one always works.
 */
export function createAuthThrottle(limiter: RateLimiter, perMinute: number): AuthThrottle {
  const refuse = (results: RateLimitResult[]) => {
    const refused = results.filter((r) => !r.allowed);
    if (refused.length > 0) throw rateLimited(Math.max(...refused.map((r) => r.retryAfterMs)) / 1000);
  };
  const loginKeys = ({ ip, email }: LoginKeys) => {
    const address = ip ?? 'unknown';
    return {
      pairMinute: `auth:login:pair:${digest(email)}:${address}`,
      pairHour: `auth:login:pair-hour:${digest(email)}:${address}`,
      address: `auth:login:ip:${address}`,
      email: `auth:login:email:${digest(email)}`,
    };
  };
  return {
    async attempt(action, { ip, email, userId }) {
      const keys = [
        ip ? `auth:${action}:ip:${ip}` : undefined,
        email ? `auth:${action}:email:${digest(email)}` : undefined,
        userId ? `auth:${action}:user:${userId}` : undefined,
      ].filter((k): k is string => k !== undefined);
      refuse(await Promise.all(keys.map((key) => limiter.hit(key, perMinute, MINUTE_MS))));
    },

    async login(keys) {
      const k = loginKeys(keys);
      const [pairMinute, pairHour, address, email] = await Promise.all([
        limiter.hit(k.pairMinute, perMinute, MINUTE_MS),
        limiter.hit(k.pairHour, 3 * perMinute, HOUR_MS),
        limiter.hit(k.address, 3 * perMinute, MINUTE_MS),
        limiter.hit(k.email, 3 * perMinute, EMAIL_WINDOW_MS),
      ]);
      refuse([pairMinute, pairHour, address]);
      // Under attack, an address's first attempt at this email in the hour still goes through.
      if (!email.allowed && pairHour.count > 1) refuse([{ ...pairHour, allowed: false }]);
    },

    async loginSucceeded(keys) {
      const k = loginKeys(keys);
      await Promise.all([limiter.reset(k.pairMinute), limiter.reset(k.pairHour), limiter.reset(k.email)]);
    },
  };
}

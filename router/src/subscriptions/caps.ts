import type { GraphQLError } from 'graphql';
import { rateLimited } from '@voiceassist/errors';
import type { SubscriptionLimits } from './core.js';

/** Open subscriptions counted per user (per IP when anonymous) and in all, against their caps. */
export class SubscriptionCaps {
  total = 0;
  readonly #perKey = new Map<string, number>();

  constructor(private readonly limits: SubscriptionLimits) {}

  /** Why one more subscription for `limitKey` is refused, or undefined when it may open. */
  refusal(limitKey: string): GraphQLError | undefined {
    if (this.total >= this.limits.maxTotal) return rateLimited(5, `This router has too many open subscriptions (${this.limits.maxTotal}); try again shortly`);
    if ((this.#perKey.get(limitKey) ?? 0) >= this.limits.maxPerUser) return rateLimited(5, `Too many open subscriptions (at most ${this.limits.maxPerUser} per user)`);
    return undefined;
  }

  opened(limitKey: string): void {
    this.total += 1;
    this.#perKey.set(limitKey, (this.#perKey.get(limitKey) ?? 0) + 1);
  }

  closed(limitKey: string): void {
    this.total -= 1;
    const left = (this.#perKey.get(limitKey) ?? 1) - 1;
    if (left <= 0) this.#perKey.delete(limitKey);
    else this.#perKey.set(limitKey, left);
  }
}

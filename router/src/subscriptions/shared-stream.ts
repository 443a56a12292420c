import type { FormattedExecutionResult } from 'graphql';
import type { ActiveSubscription } from './active-subscription.js';

/**
 * One upstream event stream shared by every client subscription with the same subgraph
 * operation, variables and credentials: each event is resolved once, in arrival order, and the
 * same result goes to every listener.
 */
export class SharedStream {
  readonly listeners = new Set<ActiveSubscription>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private releaseUpstream: (() => void) | undefined;

  constructor(private readonly onEmpty: () => void) {}

  attachUpstream(release: () => void) {
    this.releaseUpstream = release;
    if (this.closed) release();
  }

  add(listener: ActiveSubscription) {
    this.listeners.add(listener);
  }

  remove(listener: ActiveSubscription) {
    this.listeners.delete(listener);
    if (this.listeners.size === 0) this.close();
  }

  /** Resolves an event (after the ones before it) and hands the result to every listener. */
  deliver(resolve: () => Promise<FormattedExecutionResult>, onDelivered?: () => void) {
    if (this.closed) return;
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      const result = await resolve();
      for (const listener of this.listeners) listener.push(result);
      onDelivered?.();
    });
  }

  /** Upstream ended: listeners finish after the events already queued. */
  end(final?: FormattedExecutionResult) {
    this.chain = this.chain.then(() => {
      for (const listener of [...this.listeners]) listener.finish(final);
    });
  }

  private close() {
    if (this.closed) return;
    this.closed = true;
    this.releaseUpstream?.();
    this.onEmpty();
  }
}

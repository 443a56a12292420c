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
  /** Events (and an end) waiting in `chain`. */
  private queued = 0;
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

  /**
   * Resolves an event (after the ones before it) and hands the result to every listener. A
   * result that is ready at once (nothing to fetch from other subgraphs) is handed over in the
   * same tick when nothing is queued before it: no promise chain per event on the hot path.
   */
  deliver(resolve: () => FormattedExecutionResult | Promise<FormattedExecutionResult>, onDelivered?: () => void) {
    if (this.closed) return;
    const hand = (result: FormattedExecutionResult) => {
      if (this.closed) return;
      for (const listener of this.listeners) listener.push(result);
      onDelivered?.();
    };
    if (this.queued === 0) {
      const result = resolve();
      if (!(result instanceof Promise)) return hand(result);
      this.enqueue(() => result.then(hand));
      return;
    }
    this.enqueue(async () => {
      if (this.closed) return;
      hand(await resolve());
    });
  }

  private enqueue(step: () => Promise<void>) {
    this.queued += 1;
    this.chain = this.chain.then(step).finally(() => {
      this.queued -= 1;
    });
  }

  /** Upstream ended: listeners finish after the events already queued. */
  end(final?: FormattedExecutionResult) {
    this.enqueue(async () => {
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

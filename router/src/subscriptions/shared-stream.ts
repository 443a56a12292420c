import type { FormattedExecutionResult } from 'graphql';
import type { ActiveSubscription } from './active-subscription.js';

/** A resolved event: a result, or its payload already as JSON text (passed through from upstream). */
export type ResolvedEvent = FormattedExecutionResult | string;

/**
 * One upstream event stream shared by every client subscription with the same subgraph
 * operation, variables and credentials: each event is resolved and serialised once, in arrival
 * order, and the same text goes to every listener.
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
   * Resolves an event (after the ones before it) and sends it to every listener. An event
   * ready at once (nothing to fetch from other subgraphs) is sent in the same tick when nothing
   * is queued before it: no promise chain per event on the hot path.
   */
  deliver(resolve: () => ResolvedEvent | Promise<ResolvedEvent>, onDelivered?: () => void) {
    if (this.closed) return;
    if (this.queued === 0) {
      const result = resolve();
      if (!(result instanceof Promise)) return this.hand(result, onDelivered);
      this.enqueue(() => result.then((resolved) => this.hand(resolved, onDelivered)));
      return;
    }
    this.enqueue(async () => {
      if (this.closed) return;
      this.hand(await resolve(), onDelivered);
    });
  }

  private hand(result: ResolvedEvent, onDelivered: (() => void) | undefined) {
    if (this.closed) return;
    const payload = typeof result === 'string' ? result : JSON.stringify(result);
    for (const listener of this.listeners) listener.push(payload);
    onDelivered?.();
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
      const payload = final === undefined ? undefined : JSON.stringify(final);
      for (const listener of [...this.listeners]) listener.finish(payload);
    });
  }

  private close() {
    if (this.closed) return;
    this.closed = true;
    this.releaseUpstream?.();
    this.onEmpty();
  }
}

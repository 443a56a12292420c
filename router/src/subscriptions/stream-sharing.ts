import { SharedStream } from './shared-stream.js';

/**
 * Upstream streams shared by identical subscriptions with identical credentials: one upstream
 * subscription and one resolution per event (the subgraph is told the first subscriber's address).
 */
export class SharedStreams {
  readonly #streams = new Map<string, SharedStream>();

  /** The stream for `key` (a new one when none is open, or when the subscription is not to be shared: no key). */
  join(key: string | undefined): { stream: SharedStream; isNew: boolean } {
    const existing = key === undefined ? undefined : this.#streams.get(key);
    if (existing) return { stream: existing, isNew: false };
    const created: SharedStream = new SharedStream(() => {
      if (key !== undefined && this.#streams.get(key) === created) this.#streams.delete(key);
    });
    if (key !== undefined) this.#streams.set(key, created);
    return { stream: created, isNew: true };
  }
}

/** What makes two subscriptions identical: subgraph, credentials, upstream operation, operation name and variables. */
export function sharedStreamKey(subgraph: string, authorization: string | undefined, operation: string, operationName: string | null | undefined, variables: Record<string, unknown>): string {
  return JSON.stringify([subgraph, authorization ?? '', operation, operationName ?? '', variables]);
}

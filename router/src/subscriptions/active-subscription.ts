/**
 * One client subscription. Its results go straight to the client's socket as graphql-ws `next`
 * messages, serialised once per event by its shared stream; graphql-ws sees an async iterator
 * that yields nothing and finishes when the subscription ends, and then sends `complete`. So an
 * event costs a string and a write, not a promise step through graphql-ws's loop and a second
 * serialisation. It can be ended from the router's side (expiry, revocation, upstream loss)
 * with a final error result followed by `complete`.
 */
export class ActiveSubscription implements AsyncIterableIterator<never> {
  /** `{"id":"…","type":"next","payload":` for this subscription's id, made once. */
  private readonly prefix: string;
  private waiting: ((result: IteratorResult<never>) => void) | undefined;
  private ended = false;

  constructor(
    id: string,
    private readonly hooks: {
      /** Writes one graphql-ws message to the client. */
      send(message: string): void;
      /** Detaches from the shared stream and frees counters; called exactly once. */
      release(): void;
    },
  ) {
    this.prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  }

  /** Sends one result: its payload as JSON text. */
  push(payload: string): void {
    if (this.ended) return;
    this.hooks.send(`${this.prefix}${payload}}`);
  }

  /** Ends, optionally after a final result (an error); graphql-ws then sends `complete`. */
  finish(finalPayload?: string): void {
    if (this.ended) return;
    if (finalPayload !== undefined) this.push(finalPayload);
    this.end();
  }

  next(): Promise<IteratorResult<never>> {
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The client completed, disconnected or was dropped: nothing more is sent. */
  return(): Promise<IteratorResult<never>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<never>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  private end() {
    if (this.ended) return;
    this.ended = true;
    this.hooks.release();
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }
}

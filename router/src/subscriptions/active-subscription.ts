import type { FormattedExecutionResult } from 'graphql';

/**
 * One client subscription as graphql-ws sees it: an async iterator of already-resolved results
 * (its shared stream resolves each event once, in order). It counts what it buffers against its
 * connection's cap, and can be ended from the router's side (expiry, revocation, upstream loss)
 * with a final error result followed by `complete`.
 */
export class ActiveSubscription implements AsyncIterableIterator<FormattedExecutionResult> {
  private readonly buffer: FormattedExecutionResult[] = [];
  private waiting: ((result: IteratorResult<FormattedExecutionResult>) => void) | undefined;
  private ended = false;
  private released = false;

  constructor(
    private readonly hooks: {
      /** +1 when a result is buffered, -n when results leave the buffer. */
      onBuffered(delta: number): void;
      /** Detaches from the shared stream and frees counters; called exactly once. */
      release(): void;
    },
  ) {}

  get isEnded(): boolean {
    return this.ended;
  }

  push(result: FormattedExecutionResult): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting({ value: result, done: false });
      return;
    }
    this.buffer.push(result);
    this.hooks.onBuffered(1);
  }

  /** Ends after what is buffered, optionally with a final result (an error). */
  finish(final?: FormattedExecutionResult): void {
    if (this.ended) return;
    if (final) this.push(final);
    this.end();
  }

  /** Ends now, dropping what is buffered: the final error is all the client still gets. */
  abort(final: FormattedExecutionResult): void {
    if (this.ended) return;
    this.dropBuffer();
    this.push(final);
    this.end();
  }

  next(): Promise<IteratorResult<FormattedExecutionResult>> {
    const value = this.buffer.shift();
    if (value) {
      this.hooks.onBuffered(-1);
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<FormattedExecutionResult>> {
    this.dropBuffer();
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<FormattedExecutionResult>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  private dropBuffer() {
    if (this.buffer.length) this.hooks.onBuffered(-this.buffer.length);
    this.buffer.length = 0;
  }

  private end() {
    this.ended = true;
    if (!this.released) {
      this.released = true;
      this.hooks.release();
    }
    if (this.buffer.length === 0 && this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting({ value: undefined, done: true });
    }
  }
}

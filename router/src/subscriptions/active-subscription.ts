import type { ExecutionResult, FormattedExecutionResult } from 'graphql';

type Result = ExecutionResult | FormattedExecutionResult;

/**
 * One client subscription as graphql-ws sees it: an async iterator fed by upstream events that
 * are resolved one at a time, in arrival order. It counts what it buffers against its
 * connection's cap, and can be ended from the router's side (expiry, revocation, upstream loss)
 * with a final error result followed by `complete`.
 */
export class ActiveSubscription implements AsyncIterableIterator<Result> {
  private readonly buffer: Result[] = [];
  private waiting: ((result: IteratorResult<Result>) => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** No more results will be added. */
  private ended = false;
  /** Resources released (upstream, counters). */
  private released = false;

  constructor(
    private readonly hooks: {
      /** Called once with +n when results are buffered and -n when they leave. */
      onBuffered(delta: number): void;
      /** Releases the upstream subscription and metrics; called exactly once. */
      release(): void;
    },
  ) {}

  /** Queues work that produces the next result, keeping arrival order. */
  enqueue(produce: () => Promise<Result | undefined>): void {
    if (this.ended) return;
    this.hooks.onBuffered(1);
    this.chain = this.chain.then(async () => {
      let result: Result | undefined;
      try {
        result = this.ended ? undefined : await produce();
      } finally {
        this.hooks.onBuffered(-1);
      }
      if (result && !this.ended) this.push(result);
    });
  }

  /** Ends after what is already queued, optionally with a final result (an error). */
  finish(final?: Result): void {
    this.chain = this.chain.then(() => {
      if (this.ended) return;
      if (final) this.push(final);
      this.end();
    });
  }

  /** Ends now, dropping queued work: a final error is all the client gets. */
  abort(final: Result): void {
    if (this.ended) return;
    this.release();
    this.push(final);
    this.end();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  next(): Promise<IteratorResult<Result>> {
    const value = this.buffer.shift();
    if (value) {
      this.hooks.onBuffered(-1);
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<Result>> {
    this.hooks.onBuffered(-this.buffer.length);
    this.buffer.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<Result>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  private push(result: Result) {
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting({ value: result, done: false });
      return;
    }
    this.hooks.onBuffered(1);
    this.buffer.push(result);
  }

  private end() {
    this.ended = true;
    this.release();
    if (this.buffer.length === 0 && this.waiting) {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting({ value: undefined, done: true });
    }
  }

  private release() {
    if (this.released) return;
    this.released = true;
    this.hooks.release();
  }
}

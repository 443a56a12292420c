/** How one transport writes a subscription's results. */
export interface Framing {
  /** One result (its JSON text) as the transport writes it. */
  next(payload: string): string;
  /** The error result that ends the subscription from the router's side, as the transport writes it. */
  final(payload: string): string;
}

/** graphql-ws `next` messages for one operation id; the prefix is made once. */
export function graphqlWsFraming(id: string): Framing {
  const prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  const next = (payload: string) => `${prefix}${payload}}`;
  return { next, final: next };
}

/**
 * One client subscription. Its results go straight to the client's connection (a graphql-ws
 * socket, an SSE or a multipart response), framed and written once per event from the text its
 * shared stream serialised once; the transport sees an async iterator that yields nothing and
 * finishes when the subscription ends, and then writes its own completion. So an event costs a
 * string and a write, not a promise step and a second serialisation. It can be ended from the
 * router's side (expiry, revocation, upstream loss) with a final error result.
 */
export class ActiveSubscription implements AsyncIterableIterator<never> {
  private waiting: ((result: IteratorResult<never>) => void) | undefined;
  private ended = false;

  constructor(
    private readonly framing: Framing,
    private readonly hooks: {
      /** Writes one framed message to the client. */
      send(message: string): void;
      /** Detaches from the shared stream and frees counters; called exactly once. */
      release(): void;
    },
  ) {}

  /** Sends one result: its payload as JSON text. */
  push(payload: string): void {
    if (this.ended) return;
    this.hooks.send(this.framing.next(payload));
  }

  /** Ends, optionally after a final result (an error); the transport then writes its completion. */
  finish(finalPayload?: string): void {
    if (this.ended) return;
    if (finalPayload !== undefined) this.hooks.send(this.framing.final(finalPayload));
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

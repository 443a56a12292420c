/** A model server could not serve a request: unreachable, an error status, a broken answer. */
export class ProviderError extends Error {
  constructor(
    message: string,
    /** The HTTP status the provider answered with, when it answered. */
    readonly status?: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderError';
  }
}

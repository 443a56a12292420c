/** One GraphQL error as the router sends it (`extensions.code` from the error registry). */
export interface GraphQLErrorShape {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/** What a request answered with errors, or could not be answered, throws. */
export class GraphQLRequestError extends Error {
  constructor(
    readonly errors: GraphQLErrorShape[],
    /** HTTP status (0 when the request never got an answer, e.g. a closed WebSocket). */
    readonly status: number,
    /** Partial data that came with the errors, if any. */
    readonly data?: unknown,
  ) {
    super(errors.map((e) => e.message).join('; ') || `Request failed (${status})`);
    this.name = 'GraphQLRequestError';
  }

  /** The first error's `extensions.code`, e.g. UNAUTHENTICATED or BAD_USER_INPUT. */
  get code(): string | undefined {
    return codeOf(this.errors[0]);
  }

  hasCode(code: string): boolean {
    return this.errors.some((e) => codeOf(e) === code);
  }
}

const codeOf = (error: GraphQLErrorShape | undefined) => (typeof error?.extensions?.code === 'string' ? error.extensions.code : undefined);

/** An input at fault: BAD_USER_INPUT (or CONFLICT) with `extensions.field`, and `extensions.reasons` when the server lists them. */
export interface FieldError {
  field: string;
  message: string;
  code: string;
  reasons: string[];
}

/**
 * The errors that name an input (`extensions.field`), by field name without an `input.` prefix
 * (`input.password` → `password`), so a form can show each next to its control.
 */
export function fieldErrors(error: unknown): Record<string, FieldError> {
  const result: Record<string, FieldError> = {};
  if (!(error instanceof GraphQLRequestError)) return result;
  for (const e of error.errors) {
    const field = e.extensions?.field;
    if (typeof field !== 'string') continue;
    const name = field.replace(/^input\./, '');
    const reasons = Array.isArray(e.extensions?.reasons) ? e.extensions.reasons.filter((r): r is string => typeof r === 'string') : [];
    result[name] ??= { field: name, message: e.message, code: codeOf(e) ?? 'BAD_USER_INPUT', reasons };
  }
  return result;
}

/**
 * The server could not run the operation's document at all: it does not parse
 * (GRAPHQL_PARSE_FAILED) or does not validate against the schema (GRAPHQL_VALIDATION_FAILED).
 * For generated documents this means the client was built against another schema: reload it.
 */
export function isDocumentError(error: unknown): boolean {
  return error instanceof GraphQLRequestError && (error.hasCode('GRAPHQL_PARSE_FAILED') || error.hasCode('GRAPHQL_VALIDATION_FAILED'));
}

/** Seconds to wait from a RATE_LIMITED error, if it is one. */
export function retryAfterSeconds(error: unknown): number | undefined {
  if (!(error instanceof GraphQLRequestError)) return undefined;
  const value = error.errors.find((e) => codeOf(e) === 'RATE_LIMITED')?.extensions?.retryAfterSeconds;
  return typeof value === 'number' ? value : undefined;
}

import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The one registry of error codes clients may see (API.md). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  BUDGET_EXCEEDED: 'BUDGET_EXCEEDED',
  PROVIDER_UNAVAILABLE: 'PROVIDER_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /**
   * Apollo's automatic persisted queries: the hash is unknown, send the document with it. Message
   * `PersistedQueryNotFound`, HTTP 200, as Apollo clients expect.
   */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** The document does not parse (Apollo's code, which Apollo clients and tools match on). */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  /** The document does not validate against the schema (Apollo's code); introspection when it is off too. */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** Added by the router when a subgraph fails or disconnects. */
  DOWNSTREAM_SERVICE_ERROR: 'DOWNSTREAM_SERVICE_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

type Extensions = Record<string, unknown>;

function coded(code: ErrorCode, message: string, extensions: Extensions = {}, httpStatus?: number) {
  return new GraphQLError(message, {
    extensions: { code, ...extensions, ...(httpStatus ? { http: { status: httpStatus } } : {}) },
  });
}

export const unauthenticated = (message = 'Authentication required') => coded('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this') => coded('FORBIDDEN', message);
export const notFound = (what = 'Resource') => coded('NOT_FOUND', `${what} not found`);
export const conflict = (message: string, extensions: Extensions = {}) => coded('CONFLICT', message, extensions);
export const badUserInput = (message: string, field: string, extensions: Extensions = {}) =>
  coded('BAD_USER_INPUT', message, { field, ...extensions });
export const rateLimited = (retryAfterSeconds: number, message = 'Too many requests, try again later') =>
  coded('RATE_LIMITED', message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
export const budgetExceeded = (message = 'Token budget exceeded for this period') => coded('BUDGET_EXCEEDED', message);
export const providerUnavailable = (message: string) => coded('PROVIDER_UNAVAILABLE', message);
export const persistedQueryNotFound = () => coded('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', {}, 200);
export const internalError = () => coded('INTERNAL_SERVER_ERROR', 'Internal server error');

/** Apollo's other codes for malformed requests, reported to clients as BAD_USER_INPUT. */
const REQUEST_SHAPE_CODES = new Set([
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export interface FormatErrorOptions {
  /** Development only: keep stack traces in responses. */
  includeStacktrace?: boolean;
}

/**
 * Maps any error to the registry: known codes pass with their extensions (a document that does
 * not parse or validate keeps Apollo's code), other malformed requests become BAD_USER_INPUT,
 * and anything unexpected becomes INTERNAL_SERVER_ERROR with no detail.
 */
export function formatError(formatted: GraphQLFormattedError, options: FormatErrorOptions = {}): GraphQLFormattedError {
  const { stacktrace, http: _http, ...extensions } = (formatted.extensions ?? {}) as Extensions & { stacktrace?: unknown; http?: unknown };
  const code = typeof extensions.code === 'string' ? extensions.code : undefined;
  const keepStack = options.includeStacktrace && stacktrace ? { stacktrace } : {};
  if (code && KNOWN_CODES.has(code) && code !== 'INTERNAL_SERVER_ERROR') {
    // Apollo prefixes errors thrown while building the context; clients need only the reason.
    const message = formatted.message.replace(/^Context creation failed: /, '');
    return { ...formatted, message, extensions: { ...extensions, ...keepStack } };
  }
  if (code && REQUEST_SHAPE_CODES.has(code)) {
    return { ...formatted, extensions: { ...extensions, code: ErrorCode.BAD_USER_INPUT, reason: code, ...keepStack } };
  }
  const serviceName = typeof extensions.serviceName === 'string' ? { serviceName: extensions.serviceName } : {};
  return {
    message: options.includeStacktrace ? formatted.message : 'Internal server error',
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...serviceName, ...keepStack },
  };
}

export function errorCode(error: unknown): string | undefined {
  if (error instanceof GraphQLError) return typeof error.extensions.code === 'string' ? error.extensions.code : undefined;
  return undefined;
}

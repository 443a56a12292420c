import { trace } from '@opentelemetry/api';
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths pino removes before a line is written. Secrets and clinical text never reach logs,
 * wherever they sit in a logged object.
 */
export const REDACTED_PATHS = [
  'password', '*.password', 'currentPassword', '*.currentPassword', 'newPassword', '*.newPassword',
  'token', '*.token', 'accessToken', '*.accessToken', 'refreshToken', '*.refreshToken',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'headers.cookie', 'req.headers.cookie', 'connectionParams.authorization',
  'content', '*.content', 'text', '*.text', 'variables', '*.variables', 'base64', '*.base64',
];

export interface LoggerConfig {
  service: string;
  level?: LoggerOptions['level'];
  /** Where lines go; stdout by default. Tests pass a stream to inspect what was written. */
  destination?: pino.DestinationStream;
}

/**
 * The active trace's ids on each line, so a log line leads to its trace. While tracing is off no
 * context manager is registered: there is never an active span, and lines carry nothing more.
 */
function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { traceId, spanId, traceFlags: `0${traceFlags.toString(16)}`.slice(-2) };
}

export function createLogger({ service, level = 'info', destination }: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Every logged error, under either key, goes through the one serializer.
    serializers: { err: (error: unknown) => loggableError(error), error: (error: unknown) => loggableError(error) },
    formatters: { level: (label) => ({ level: label }) },
    mixin: traceIds,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** What of an error reaches the logs (see loggableError). */
export interface LoggableError {
  type: string;
  code?: unknown;
  status?: unknown;
  message?: string;
  stack?: string;
  /** Names a database error carries; never values. */
  constraint?: string;
  table?: string;
  column?: string;
  cause?: LoggableError;
}

/** Objects loggableError made: logged again (`{ err: loggableError(e) }`), they pass unchanged. */
const serialized = new WeakSet<object>();
const CAUSE_DEPTH = 3;

/**
 * Removes what drivers put of the data into error text: drizzle's `params: …` (the values it
 * tried to write: document, message and settings text), PostgreSQL's `Key (col)=(value)` and
 * quoted input values (`invalid input syntax for type uuid: "…"`).
 */
function scrub(text: string): string {
  return text
    .replace(/\bparams:[\s\S]*/i, 'params: [redacted]')
    .replace(/\(([^)]*)\)=\(([^)]*)\)/g, '($1)=([redacted])')
    .replace(/: "(?:[^"\\]|\\.)*"/g, ': "[redacted]"');
}

/**
 * The one error serializer of every log line (pino's `err` and `error` keys): type, code, HTTP
 * status (provider errors), a message and stack with query parameters and row values removed,
 * the names of a failed constraint, table or column, and the same of its causes. Never a
 * driver's `params`, `detail` ("Failing row contains …"), `where` or `query` fields: a
 * DrizzleQueryError carries the values it tried to write in `params`, its message and its cause.
 */
export function loggableError(error: unknown, depth = 0): LoggableError {
  if (error && typeof error === 'object' && serialized.has(error)) return error as LoggableError;
  const e = (error ?? {}) as { name?: unknown; code?: unknown; status?: unknown; message?: unknown; stack?: unknown; constraint?: unknown; table?: unknown; column?: unknown; cause?: unknown };
  // Some libraries leave `name` as Error (drizzle's DrizzleQueryError): their class says more.
  const className = error instanceof Error ? error.constructor.name : undefined;
  const type = typeof e.name === 'string' && e.name !== 'Error' ? e.name : (className ?? (typeof e.name === 'string' ? e.name : typeof error));
  const message = typeof e.message === 'string' ? e.message : typeof error === 'string' ? error : undefined;
  const safeName = (value: unknown) => (typeof value === 'string' && /^[\w.$-]{1,128}$/.test(value) ? value : undefined);
  const scrubbedMessage = message === undefined ? undefined : scrub(message);
  let stack: string | undefined;
  if (typeof e.stack === 'string') {
    // The stack starts with the message; frames after it stay readable.
    const head = message !== undefined ? `${String(e.name ?? 'Error')}: ${message}` : undefined;
    stack = head && e.stack.startsWith(head) ? `${String(e.name ?? 'Error')}: ${scrubbedMessage}${scrub(e.stack.slice(head.length))}` : scrub(e.stack);
  }
  const out: LoggableError = {
    type,
    ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.status === 'number' || typeof e.status === 'string' ? { status: e.status } : {}),
    ...(scrubbedMessage !== undefined ? { message: scrubbedMessage } : {}),
    ...(stack ? { stack } : {}),
    ...(safeName(e.constraint) ? { constraint: safeName(e.constraint) } : {}),
    ...(safeName(e.table) ? { table: safeName(e.table) } : {}),
    ...(safeName(e.column) ? { column: safeName(e.column) } : {}),
    ...(e.cause !== undefined && e.cause !== null && depth < CAUSE_DEPTH ? { cause: loggableError(e.cause, depth + 1) } : {}),
  };
  serialized.add(out);
  return out;
}

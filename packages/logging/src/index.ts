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

export function createLogger({ service, level = 'info', destination }: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * What of an unexpected error may be logged: type, code, HTTP status (provider errors) and a
 * message with query parameters removed (drivers put bound values, which can be message text
 * or emails, in their messages).
 */
export function loggableError(error: unknown): { type: string; code?: unknown; status?: unknown; message: string; stack?: string } {
  const e = error as { name?: string; code?: unknown; status?: unknown; message?: string; stack?: string };
  const scrub = (text: string) => text.replace(/\bparams:[\s\S]*/i, 'params: [redacted]').replace(/\(([^)]*)\)=\(([^)]*)\)/g, '($1)=([redacted])');
  return {
    type: e?.name ?? typeof error,
    ...(e?.code !== undefined ? { code: e.code } : {}),
    ...(e?.status !== undefined ? { status: e.status } : {}),
    message: scrub(String(e?.message ?? error)),
    ...(e?.stack ? { stack: scrub(e.stack) } : {}),
  };
}

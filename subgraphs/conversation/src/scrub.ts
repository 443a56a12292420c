import { DrizzleQueryError } from 'drizzle-orm';

/**
 * drizzle's query errors carry the statement's parameters in their message, and ours are
 * message text, titles and searches: such an error is replaced by one that keeps only the
 * database's error code before it can reach a log line. Other errors pass unchanged.
 */
export function scrubError(error: unknown): unknown {
  if (!(error instanceof DrizzleQueryError)) return error;
  const cause = error.cause as { code?: unknown; name?: unknown } | undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const scrubbed = new Error(`Database query failed${code ? ` (SQLSTATE ${code})` : ''}`);
  scrubbed.name = 'DatabaseError';
  return Object.assign(scrubbed, code ? { code } : {});
}

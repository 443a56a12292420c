import type { PGlite } from '@electric-sql/pglite';
import type postgres from 'postgres';
import { SpanKind, activeSpan, libraryTracer, recordFailure, startSpan, withSpan, type Attributes } from '@voiceassist/tracing';

// Spans of the service whose database it is (the parent span names it). The `postgres` driver
// has no OpenTelemetry instrumentation: its client is wrapped here, and PGlite's likewise.
const tracer = libraryTracer('database');

const OPERATION = /^\s*([a-z]+)/i;
const TABLE = /\b(?:from|into|update|join)\s+((?:"?[\w$]+"?\.)?"?[\w$]+"?)/i;

/**
 * A statement's span: `select knowledge.chunks`, named by its keyword and first table. Never the
 * statement's text: most are parameterized, but not every one, and values are the user's.
 */
export function statementSpanAttributes(statement: string): { name: string; attributes: Attributes } {
  const operation = OPERATION.exec(statement)?.[1]?.toLowerCase() ?? 'query';
  const table = TABLE.exec(statement)?.[1]?.replaceAll('"', '');
  return {
    name: table ? `${operation} ${table}` : operation,
    attributes: { 'db.system': 'postgresql', 'db.operation.name': operation, ...(table ? { 'db.collection.name': table } : {}) },
  };
}

/** A span per statement sent through `client.unsafe` (drizzle's path); postgres.js queries are lazy thenables, ended when settled. */
export function tracePostgresQueries(client: postgres.Sql): void {
  const unsafe = client.unsafe.bind(client);
  (client as { unsafe: typeof client.unsafe }).unsafe = ((query: string, ...rest: unknown[]) => {
    const pending = (unsafe as (query: string, ...rest: unknown[]) => postgres.PendingQuery<postgres.Row[]>)(query, ...rest);
    // Statements outside any trace (migrations, sweeps) would each start a trace of their own.
    if (!activeSpan()) return pending;
    const { name, attributes } = statementSpanAttributes(query);
    const started = startSpan(tracer, name, { kind: SpanKind.CLIENT, attributes });
    if (!started) return pending;
    const then = pending.then.bind(pending);
    let ended = false;
    const end = (error?: unknown) => {
      if (ended) return;
      ended = true;
      if (error !== undefined) recordFailure(started.span, error);
      started.span.end();
    };
    pending.then = ((onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) =>
      then(
        (value) => {
          end();
          return onFulfilled ? onFulfilled(value) : value;
        },
        (error: unknown) => {
          end(error);
          if (onRejected) return onRejected(error);
          throw error;
        },
      )) as typeof pending.then;
    return pending;
  }) as typeof client.unsafe;
}

/** A span per PGlite `query` and `exec` (drizzle's path outside transactions). */
export function tracePgliteQueries(client: PGlite): void {
  const query = client.query.bind(client);
  const exec = client.exec.bind(client);
  const traced = <T>(statement: string, run: () => Promise<T>): Promise<T> => {
    if (!activeSpan()) return run();
    const { name, attributes } = statementSpanAttributes(statement);
    return withSpan(tracer, name, { kind: SpanKind.CLIENT, attributes }, run);
  };
  client.query = ((statement: string, ...rest: unknown[]) => traced(statement, () => (query as (s: string, ...r: unknown[]) => Promise<unknown>)(statement, ...rest))) as typeof client.query;
  client.exec = ((statement: string, ...rest: unknown[]) => traced(statement, () => (exec as (s: string, ...r: unknown[]) => Promise<unknown>)(statement, ...rest))) as typeof client.exec;
}

import type { ExecutionResult } from 'graphql';
import { extractTraceContext, injectTraceContext, runInContext, type TraceContext } from '@voiceassist/tracing';

/** The `traceparent` of a trace context, for a message's extensions; none while tracing is off. */
export function traceHeaders(traceContext: TraceContext | undefined): Record<string, string> | undefined {
  if (!traceContext) return undefined;
  const headers: Record<string, string> = {};
  runInContext(traceContext, () => injectTraceContext(headers));
  return headers;
}

/**
 * The trace a subgraph says an event was published in: the `traceparent` its extensions end with
 * (ours put it last). Read from the text, so an event is not parsed for it; quotes inside
 * string values are escaped, so only a key matches.
 */
const PUBLISHED_TRACE = /"traceparent":"(00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})"\}\}$/;
export function publishedTrace(event: string | ExecutionResult): TraceContext | undefined {
  const traceparent = typeof event === 'string' ? PUBLISHED_TRACE.exec(event)?.[1] : event.extensions?.traceparent;
  return typeof traceparent === 'string' ? extractTraceContext({ traceparent }) : undefined;
}

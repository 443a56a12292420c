import type { IncomingMessage } from 'node:http';
import type { Framing } from './active-subscription.js';

/** The HTTP streams a subscription can travel over besides graphql-ws. */
export type HttpStreamTransport = 'sse' | 'multipart';

export interface HttpStreamFormat {
  contentType: string;
  framing: Framing;
  /** Written right after the headers (before any event). */
  opening: string;
  /** Keeps proxies and clients from timing out a quiet stream. */
  heartbeat: string;
  heartbeatMs: number;
  /** Written when the subscription ends, before the response does. */
  closing: string;
}

/**
 * The stream the client asked for by its Accept header: GraphQL over SSE (graphql-sse, distinct
 * connections mode) for `text/event-stream`, Apollo's multipart subscriptions for
 * `multipart/mixed` with `subscriptionSpec`. Anything else is a plain HTTP request.
 */
export function httpStreamTransport(req: IncomingMessage): HttpStreamTransport | undefined {
  const accept = (req.headers.accept ?? '').toLowerCase();
  if (accept.includes('text/event-stream')) return 'sse';
  if (accept.includes('multipart/mixed') && accept.includes('subscriptionspec')) return 'multipart';
  return undefined;
}

const MULTIPART_PART_HEADERS = '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';
/** Each part ends with the next delimiter so a client hands it on at once (not when the next part comes). */
const MULTIPART_DELIMITER = '\r\n--graphql';

/** SSE data may not hold a raw line break; JSON text only has them as whitespace. */
const sseData = (payload: string) => (payload.includes('\n') ? payload.replace(/\r?\n/g, '\ndata: ') : payload);

const sseNext = (payload: string) => `event: next\ndata: ${sseData(payload)}\n\n`;

export const HTTP_STREAM_FORMATS: Record<HttpStreamTransport, HttpStreamFormat> = {
  // graphql-sse's wire format: `next` events carrying results, then `complete`.
  sse: {
    contentType: 'text/event-stream; charset=utf-8',
    framing: { next: sseNext, final: sseNext },
    opening: '',
    heartbeat: ':\n\n',
    heartbeatMs: 12_000,
    closing: 'event: complete\ndata:\n\n',
  },
  // Apollo's multipart subscription protocol: results as `{"payload":…}`, an error that ends the
  // subscription from the router's side as `{"payload":null,"errors":[…]}` (a transport error, not
  // a result), `{}` heartbeats every 5 s, and the closing delimiter.
  multipart: {
    contentType: 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"',
    framing: {
      next: (payload) => `${MULTIPART_PART_HEADERS}{"payload":${payload}}${MULTIPART_DELIMITER}`,
      final: (payload) => `${MULTIPART_PART_HEADERS}{"payload":null,${finalErrors(payload)}}${MULTIPART_DELIMITER}`,
    },
    opening: MULTIPART_DELIMITER,
    heartbeat: `${MULTIPART_PART_HEADERS}{}${MULTIPART_DELIMITER}`,
    heartbeatMs: 5_000,
    closing: '--\r\n',
  },
};

/** `"errors":[…]` of a final result's JSON text (the router makes it: `{"errors":[…]}`). */
function finalErrors(payload: string): string {
  const { errors } = JSON.parse(payload) as { errors?: unknown };
  return `"errors":${JSON.stringify(errors ?? [])}`;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError, getOperationAST } from 'graphql';
import { sendJson } from '@voiceassist/http-io';
import { readStreamedOperation } from '@voiceassist/graphql-over-http';
import { activeContext } from '@voiceassist/tracing';
import { ActiveSubscription } from './active-subscription.js';
import { admit, executeAdmitted } from './admission.js';
import type { Caller, FormatErrors, Refusal } from './core.js';
import { HTTP_STREAM_FORMATS, type HttpStreamTransport } from './http-transports.js';
import { sendOrCloseSlow } from './slow-consumer.js';
import { startSubscription } from './start-subscription.js';
import type { SubscriptionCore } from './subscription-core.js';

/** Answers an operation refused before its stream began: a JSON error with its status. */
function sendRefusal(res: ServerResponse, refusal: Refusal, format: FormatErrors): void {
  const retryAfter = refusal.errors.find((e) => e.extensions.code === 'RATE_LIMITED')?.extensions.retryAfterSeconds;
  sendJson(res, refusal.status, { errors: format(refusal.errors) }, retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
}

/**
 * One operation over an SSE or multipart response. The HTTP request was authenticated and
 * rate-limited like any other; from here it takes graphql-ws's path: the same admission, the
 * same caps, revocation and expiry, slow-consumer limit and shared upstream streams.
 */
export async function serveHttpStream(core: SubscriptionCore, req: IncomingMessage, res: ServerResponse, transport: HttpStreamTransport, caller: Caller, bodyLimitBytes: number): Promise<void> {
  const { options, connections, format } = core;
  const wire = HTTP_STREAM_FORMATS[transport];
  const read = await readStreamedOperation(req, new URL(req.url ?? '/', 'http://localhost'), bodyLimitBytes);
  if (!read.ok) return sendJson(res, read.status, { errors: [read.error] });
  const connection = connections.add(caller, {
    write: (message, written) => {
      if (res.writableEnded || res.destroyed) return;
      res.write(message, written);
    },
    drop: () => res.destroy(),
  });
  // The HTTP request's span is active here: it continues the request's `traceparent` header.
  const admitted = admit(core, connection, read.operation, caller.requestId, () => caller.requestId, activeContext());
  if ('errors' in admitted) {
    connections.delete(connection);
    return sendRefusal(res, admitted, format);
  }
  const operation = getOperationAST(admitted.document, admitted.operationName)?.operation;
  if (req.method === 'GET' && operation === 'mutation') {
    connections.delete(connection);
    return sendRefusal(res, { status: 405, errors: [new GraphQLError('Mutations are sent with POST', { extensions: { code: 'BAD_USER_INPUT', field: 'method' } })] }, format);
  }
  const begin = () => {
    res.writeHead(200, { 'content-type': wire.contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no', 'x-request-id': caller.requestId });
    // The first event must not wait for the headers, nor for Nagle.
    res.socket?.setNoDelay(true);
    res.flushHeaders();
    if (wire.opening) res.write(wire.opening);
  };
  const end = () => {
    connections.delete(connection);
    if (!res.writableEnded && !res.destroyed) res.end(wire.closing);
  };
  if (operation !== 'subscription') {
    // A query or mutation: its one result, then the stream's end.
    const result = await executeAdmitted(core, admitted);
    begin();
    res.write(wire.framing.next(JSON.stringify(result)));
    return end();
  }
  const started = startSubscription(core, admitted, wire.framing);
  if (!(started instanceof ActiveSubscription)) {
    connections.delete(connection);
    return sendJson(res, 500, { errors: started.errors ? format(started.errors) : [] });
  }
  begin();
  const heartbeatMs = transport === 'sse' ? (options.sseKeepAliveMs ?? wire.heartbeatMs) : wire.heartbeatMs;
  const heartbeat = setInterval(() => sendOrCloseSlow(connection, wire.heartbeat, options.limits.maxBufferedEvents, options.logger), heartbeatMs);
  heartbeat.unref();
  // The client went away: the subscription (and its upstream, when no one else shares it) ends.
  res.once('close', () => void started.return());
  // Resolves when the subscription ends, whichever side ended it.
  await started.next();
  clearInterval(heartbeat);
  end();
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { viewerFromAuthorization, type Viewer } from '@voiceassist/auth';
import { unauthenticated } from '@voiceassist/errors';
import { clientIp } from '@voiceassist/client-address';
import { requestIdFrom } from '@voiceassist/http-io';
import { extractTraceContext } from '@voiceassist/tracing';
import { graphqlWsFraming } from './active-subscription.js';
import { admit, executeAdmitted } from './admission.js';
import { CLOSE_SLOW_CONSUMER, CLOSE_UNAUTHORIZED, type AdmittedOperation, type Connection, type OperationContext } from './core.js';
import { startSubscription } from './start-subscription.js';
import type { SubscriptionCore } from './subscription-core.js';

type Extra = {
  socket: WebSocket;
  request: IncomingMessage;
  connection?: Connection;
};

/**
 * graphql-ws on `wsServer`: the socket is authenticated at connection_init (a bad token closes it
 * with 4401), each subscribe message is rate-limited and admitted, then run.
 */
export function serveGraphqlWs(core: SubscriptionCore, wsServer: WebSocketServer) {
  const { options } = core;
  return useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: options.planner.graphqlApiSchema,
      onConnect: async (ctx) => {
        const param = ctx.connectionParams?.authorization;
        const authorization = typeof param === 'string' && param ? param : undefined;
        let viewer: Viewer | null;
        try {
          viewer = await viewerFromAuthorization(authorization, options.verifier);
        } catch {
          ctx.extra.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized');
          return false;
        }
        const { request, socket } = ctx.extra;
        ctx.extra.connection = core.connections.add(
          {
            viewer,
            authorization,
            ip: clientIp(request, options.trustProxy),
            userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : undefined,
            requestId: requestIdFrom(request.headers['x-request-id']),
          },
          {
            write: (message, written) => socket.send(message, written),
            drop: () => {
              socket.close(CLOSE_SLOW_CONSUMER, `Slow consumer: over ${options.limits.maxBufferedEvents} events waiting`);
              // A client that stopped reading will not answer the close handshake either.
              setTimeout(() => socket.terminate(), 1_000).unref();
            },
          },
        );
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const connection = ctx.extra.connection;
        if (!connection) return [unauthenticated()];
        if (connection.refusal) return [unauthenticated(connection.refusal)];
        const limited = await options.edge.rateLimit(connection.limitKey);
        if (limited) return [limited];
        const admitted = admit(
          core,
          connection,
          { query: payload.query || undefined, operationName: payload.operationName ?? undefined, variables: payload.variables ?? undefined, extensions: payload.extensions ?? undefined },
          id,
          randomUUID,
          // Per subscription (the subscribe message's extensions), else the connection's (connectionParams).
          extractTraceContext({ ...ctx.connectionParams, ...(payload.extensions as Record<string, unknown> | undefined) }),
        );
        if ('errors' in admitted) return admitted.errors;
        return admitted;
      },
      // graphql-ws only iterates the result; ActiveSubscription is an async iterator of results.
      subscribe: (args) => startSubscription(core, args as AdmittedOperation, graphqlWsFraming((args.contextValue as OperationContext).operationId)) as unknown as AsyncGenerator<ExecutionResult>,
      execute: async (args) => (await executeAdmitted(core, args)) as ExecutionResult,
      onError: (_ctx, _id, _payload, errors) => core.format(errors),
      // Every result here is already formatted (masked, coded); send it as it is.
      onNext: (_ctx, _id, _payload, _args, result) => result as FormattedExecutionResult,
      onClose: (ctx) => {
        if (ctx.extra.connection) core.connections.delete(ctx.extra.connection);
      },
    },
    wsServer,
  );
}

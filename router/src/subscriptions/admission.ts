import { GraphQLError, getOperationAST, type ExecutionArgs } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { unauthenticated } from '@voiceassist/errors';
import { requestIdFrom } from '@voiceassist/http-io';
import type { Logger } from '@voiceassist/logging';
import { runInContext, type TraceContext } from '@voiceassist/tracing';
import type { AdmittedOperation, Connection, OperationContext, OperationPayload, Refusal } from './core.js';
import type { SubscriptionCore } from './subscription-core.js';

/**
 * The checks every operation passes whatever its transport: edge (limits, trusted operations),
 * parse and validation, variables, and the subscription caps. Rate limits are counted by the
 * caller (per graphql-ws message, per HTTP request).
 */
export function admit(
  core: SubscriptionCore,
  connection: Connection,
  payload: OperationPayload,
  operationId: string,
  defaultRequestId: () => string,
  /** The trace the client's operation continues (its `traceparent`, wherever the transport carries it). */
  traceContext: TraceContext,
): AdmittedOperation | Refusal {
  const { options } = core;
  const refuse = (status: number, errors: GraphQLError[]): Refusal => ({ status, errors });
  if (connection.refusal) return refuse(401, [unauthenticated(connection.refusal)]);
  const persisted = (payload.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  const inspected = options.edge.inspect(
    {
      query: payload.query || undefined,
      operationName: payload.operationName ?? undefined,
      variables: payload.variables ?? undefined,
      documentId: payload.documentId ?? (typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined),
      persistedQuery: payload.documentId === undefined && typeof persisted?.sha256Hash === 'string',
    },
    'streaming',
  );
  if (!inspected.ok) return refuse(inspected.status, [new GraphQLError(inspected.error.message, { extensions: inspected.error.extensions })]);
  const query = inspected.query ?? payload.query;
  if (!query) return refuse(400, [new GraphQLError('The request has no query', { extensions: { code: 'BAD_USER_INPUT', field: 'query' } })]);
  const planner = options.planner;
  const document = core.documents.validDocument(query, planner);
  if (Array.isArray(document)) return refuse(400, document);
  const operation = getOperationAST(document, payload.operationName);
  if (!operation) return refuse(400, [new GraphQLError('Unknown operation', { extensions: { code: 'BAD_USER_INPUT', field: 'operationName' } })]);
  const coerced = getVariableValues(planner.graphqlApiSchema, operation.variableDefinitions ?? [], payload.variables ?? {});
  if (coerced.errors) {
    return refuse(400, coerced.errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'BAD_USER_INPUT', field: 'variables' } })));
  }
  const capped = operation.operation === 'subscription' ? core.caps.refusal(connection.limitKey) : undefined;
  if (capped) return refuse(429, [capped]);
  const extensionRequestId = (payload.extensions as { requestId?: string } | undefined)?.requestId;
  const requestId = extensionRequestId ? requestIdFrom(extensionRequestId) : defaultRequestId();
  const contextValue = operationContext(connection, requestId, operationId, options.logger);
  contextValue.traceContext = traceContext;
  return { schema: planner.graphqlApiSchema, document, operationName: payload.operationName ?? null, variableValues: payload.variables ?? {}, contextValue };
}

/** The request's context; its child logger is made on first use (most subscriptions never log). */
function operationContext(connection: Connection, requestId: string, operationId: string, logger: Logger): OperationContext {
  let child: Logger | undefined;
  return {
    requestId,
    operationId,
    authorization: connection.authorization,
    viewer: connection.viewer,
    ip: connection.ip,
    userAgent: connection.userAgent,
    connection,
    get logger() {
      child ??= logger.child({ requestId, ...(connection.viewer ? { userId: connection.viewer.userId } : {}) });
      return child;
    },
  };
}

/** Queries and mutations run through the ordinary gateway pipeline, with the operation's context. */
export function executeAdmitted(core: SubscriptionCore, args: ExecutionArgs) {
  const { connection: _connection, operationId: _operationId, traceContext, ...context } = args.contextValue as OperationContext;
  // In the client's trace, as the same operation over plain HTTP would be.
  return runInContext(traceContext, () =>
    core.options.executeOperation(
      {
        query: args.document.loc?.source.body ?? '',
        variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined,
        operationName: args.operationName ?? undefined,
      },
      context,
    ),
  );
}

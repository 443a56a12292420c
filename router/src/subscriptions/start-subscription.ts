import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import { internalError } from '@voiceassist/errors';
import { SpanKind, runInContext, serviceTracer, startSpan, type TraceContext } from '@voiceassist/tracing';
import { ActiveSubscription, type Framing } from './active-subscription.js';
import type { AdmittedOperation, OperationContext } from './core.js';
import type { SubscriptionPlanner } from './planner.js';
import type { SharedStream } from './shared-stream.js';
import { sendOrCloseSlow } from './slow-consumer.js';
import { sharedStreamKey } from './stream-sharing.js';
import type { SubscriptionCore } from './subscription-core.js';
import { publishedTrace, traceHeaders } from './trace-context.js';
import type { UpstreamSink } from './upstream.js';

const tracer = serviceTracer('router');

/**
 * Starts an admitted subscription through the query planner: the primary stream from the owning
 * subgraph (shared with identical subscriptions where allowed), `rest` resolved per event.
 */
export function startSubscription(core: SubscriptionCore, args: AdmittedOperation, framing: Framing): ActiveSubscription | ExecutionResult {
  const { options } = core;
  const context = args.contextValue;
  const { connection } = context;
  let planned;
  try {
    planned = options.planner.plan(args.document, args.operationName ?? undefined, args.document.loc?.source.body ?? JSON.stringify(args.document));
  } catch (error) {
    context.logger.error({ err: error }, 'subscription planning failed');
    return { errors: [internalError()] };
  }
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  const field = planned.field;
  const subgraph = planned.primary.serviceName;
  const key = options.sharedFields?.has(field) ? sharedStreamKey(subgraph, connection.authorization, planned.primary.operation, args.operationName, variables) : undefined;
  const { stream: shared, isNew } = core.streams.join(key);

  const subscription: ActiveSubscription = new ActiveSubscription(framing, {
    send(message) {
      sendOrCloseSlow(connection, message, options.limits.maxBufferedEvents, options.logger);
    },
    release() {
      shared.remove(subscription);
      connection.subscriptions.delete(subscription);
      core.caps.closed(connection.limitKey);
      core.metrics.open.dec({ field });
    },
  });
  connection.subscriptions.add(subscription);
  core.caps.opened(connection.limitKey);
  core.metrics.open.inc({ field });
  shared.add(subscription);
  if (!isNew) return subscription;

  // The subscription's span (its start); each event's span is its child, the subgraph's too.
  const traced = startSpan(tracer, `subscription ${field}`, { kind: SpanKind.SERVER, parent: context.traceContext, attributes: { 'graphql.operation.type': 'subscription', 'graphql.field': field, subgraph } });
  const upstreamVariables = Object.fromEntries((planned.primary.variableUsages ?? []).filter((name) => name in variables).map((name) => [name, variables[name]]));
  shared.attachUpstream(
    options.pool.subscribe(
      subgraph,
      { authorization: connection.authorization, ip: connection.ip },
      { query: planned.primary.operation, variables: upstreamVariables, operationName: planned.primary.operationName, requestId: context.requestId, trace: traceHeaders(traced?.context) },
      upstreamSink(core, shared, planned, variables, context, traced?.context),
    ),
  );
  traced?.span.end();
  return subscription;
}

/** Hands each upstream event to the shared stream's subscribers, resolved once, traced and counted. */
function upstreamSink(
  core: SubscriptionCore,
  shared: SharedStream,
  planned: ReturnType<SubscriptionPlanner['plan']>,
  variables: Record<string, unknown>,
  context: OperationContext,
  subscriptionTrace: TraceContext | undefined,
): UpstreamSink {
  const { field } = planned;
  const subgraph = planned.primary.serviceName;
  const { counts, latency } = core.metrics.forField(field);
  return {
    next(event) {
      const receivedAt = performance.now();
      counts.in += 1;
      // An event published in a trace of its own (a reply's token, in its sendMessage's trace) is delivered in that trace.
      const published = subscriptionTrace && publishedTrace(event);
      const eventSpan = startSpan(tracer, 'subscription.event', {
        parent: published ?? subscriptionTrace,
        links: published && subscriptionTrace ? [subscriptionTrace] : [],
        attributes: { 'graphql.field': field },
      });
      shared.deliver(
        () => runInContext(eventSpan?.context, () => core.resolveEvent(event, planned, variables, context)),
        () => {
          latency.observe((performance.now() - receivedAt) / 1000);
          counts.out += shared.listeners.size;
          eventSpan?.span.setAttribute('subscription.listeners', shared.listeners.size);
          eventSpan?.span.end();
        },
      );
    },
    error(error) {
      const upstreamErrors = Array.isArray(error) ? (error as GraphQLFormattedError[]) : undefined;
      const errors = upstreamErrors
        ? upstreamErrors.map((e) => ({ ...e, extensions: { ...e.extensions, serviceName: subgraph } }))
        : [{ message: `The ${subgraph} service ended the subscription unexpectedly`, extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: subgraph } }];
      if (!upstreamErrors) context.logger.warn({ subgraph }, 'upstream subscription lost');
      shared.end({ errors: core.format(errors) });
    },
    complete() {
      shared.end();
    },
  };
}

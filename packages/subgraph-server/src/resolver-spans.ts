import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { extractTraceContext, serviceTracer, tracingEnabled, withSpan, type Attributes, type TraceContext } from '@voiceassist/tracing';

/**
 * The trace of each graphql-ws operation (its subscribe message's `traceparent`), by the
 * operation's context: graphql-ws runs resolvers outside any active span.
 */
const operationTraces = new WeakMap<object, TraceContext>();

/** Resolvers of this operation continue the trace its subscribe message named (nothing while tracing is off). */
export function continueOperationTrace(context: object, extensions: Record<string, unknown> | null | undefined): void {
  if (tracingEnabled() && typeof extensions?.traceparent === 'string') operationTraces.set(context, extractTraceContext(extensions));
}

/** Federation's own fields: `_entities` is traced per entity type (its references), `_service` does no I/O. */
const FEDERATION_FIELDS = new Set(['_entities', '_service']);

type Resolver = (...args: never[]) => unknown;

/**
 * A span around each call of `resolve`, named by type and field only: never arguments, values or
 * paths (aliases and list indexes are the caller's). `contextAt` says which argument is the
 * operation's context. While tracing is off, the resolver is called directly.
 */
function traced<R extends Resolver>(service: string, name: string, attributes: Attributes, contextAt: number, resolve: R): R {
  const tracer = serviceTracer(service);
  return ((...args: Parameters<R>) => {
    if (!tracingEnabled()) return resolve(...args);
    const context = args[contextAt] as unknown;
    const parent = typeof context === 'object' && context ? operationTraces.get(context) : undefined;
    return withSpan(tracer, name, { attributes, ...(parent ? { parent } : {}) }, () => resolve(...args));
  }) as R;
}

/**
 * Spans for the resolvers that do a subgraph's I/O: every root field (queries, mutations, the
 * start of each subscription) and every entity reference resolved for the router
 * (`__resolveReference`). Nested fields are left alone: they read what their parent loaded, or
 * go through loaders whose database and Redis calls have spans of their own.
 */
export function traceResolvers(schema: GraphQLSchema, service: string): void {
  const roots = [schema.getQueryType(), schema.getMutationType()];
  for (const type of roots) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      if (FEDERATION_FIELDS.has(field.name)) continue;
      const attributes = { 'graphql.parent.type': type.name, 'graphql.field.name': field.name };
      field.resolve = traced(service, `${type.name}.${field.name}`, attributes, 2, (field.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, unknown>);
    }
  }
  const subscription = schema.getSubscriptionType();
  for (const field of Object.values(subscription?.getFields() ?? {})) {
    if (!field.subscribe || !subscription) continue;
    const attributes = { 'graphql.parent.type': subscription.name, 'graphql.field.name': field.name };
    field.subscribe = traced(service, `${subscription.name}.${field.name}`, attributes, 2, field.subscribe);
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type)) continue;
    const federation = (type.extensions as { apollo?: { subgraph?: { resolveReference?: Resolver } } }).apollo?.subgraph;
    const resolveReference = federation?.resolveReference;
    if (!federation || !resolveReference) continue;
    federation.resolveReference = traced(service, `${type.name}.__resolveReference`, { 'graphql.parent.type': type.name }, 1, resolveReference);
  }
}

import { executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import { computeResponse } from '@apollo/gateway/dist/resultShaping.js';
import type { PlanNode, QueryPlan } from '@apollo/query-planner';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { internalError } from '@voiceassist/errors';
import type { RouterContext } from '../context.js';
import type { FormatErrors, SubscriptionServerOptions } from './core.js';
import type { SubscriptionPlanner } from './planner.js';
import type { ResolvedEvent } from './shared-stream.js';

type PlannedSubscription = ReturnType<SubscriptionPlanner['plan']>;

/** Turns one upstream event into the client's result: passed through, shaped, or completed by the plan's `rest`. */
export type EventResolver = (payload: string | ExecutionResult, planned: PlannedSubscription, variables: Record<string, unknown>, context: RouterContext) => ResolvedEvent | Promise<ResolvedEvent>;

/** The primary fetch's stand-in service: it answers with the event the subgraph pushed. */
const EVENT_SERVICE = '__subscription_event__';

/**
 * A payload that is `{"data":…}` and nothing else, judged from its text: no errors or
 * extensions to rewrite. A data value that merely contains such a word takes the parsing path.
 */
function isDataOnly(payload: string): boolean {
  return payload.startsWith('{"data":') && !payload.includes('"errors"') && !payload.includes('"extensions"');
}

/** Errors inside an event belong to the subgraph that pushed it. */
function eventErrors(event: ExecutionResult | FormattedExecutionResult, serviceName: string): GraphQLFormattedError[] {
  return (event.errors ?? []).map((e) => {
    const json = e instanceof GraphQLError ? e.toJSON() : (e as GraphQLFormattedError);
    return { ...json, extensions: { ...json.extensions, serviceName } };
  });
}

type ResolverOptions = Pick<SubscriptionServerOptions, 'resolveEvent' | 'dataSources'>;

/** One event whose plan has a `rest` to run after the subgraph's part. */
interface EventRun {
  event: ExecutionResult;
  planned: PlannedSubscription;
  rest: PlanNode;
  variables: Record<string, unknown>;
  context: RouterContext;
  format: FormatErrors;
}

export function createEventResolver(options: ResolverOptions, format: FormatErrors): EventResolver {
  return (payload, planned, variables, context) => {
    if (planned.passThrough && typeof payload === 'string' && isDataOnly(payload)) return payload;
    let event: ExecutionResult;
    try {
      event = typeof payload === 'string' ? (JSON.parse(payload) as ExecutionResult) : payload;
    } catch (error) {
      context.logger.error({ err: error }, 'subscription event was not JSON');
      return { errors: format([internalError()]) };
    }
    if (planned.passThrough && !event.errors) return { data: (event.data ?? null) as FormattedExecutionResult['data'] };
    if (!planned.rest) {
      // Everything selected lives in the subgraph that pushed the event: only shape the result.
      try {
        const shaped = computeResponse({ operation: planned.operation, variables, input: event.data ?? null, introspectionHandling: () => null });
        const errors = eventErrors(event, planned.primary.serviceName);
        return { data: (shaped.data ?? null) as FormattedExecutionResult['data'], ...(errors.length ? { errors: format(errors) } : {}) };
      } catch (error) {
        context.logger.error({ err: error }, 'subscription event could not be shaped');
        return { errors: format([internalError()]) };
      }
    }
    const run: EventRun = { event, planned, rest: planned.rest, variables, context, format };
    return options.resolveEvent ? resolveWithEngine(options.resolveEvent, run) : resolveWithApolloGateway(options.dataSources, run);
  };
}

/** The event's `rest` through the router's own engine (ROUTER_ENGINE=native). */
async function resolveWithEngine(resolveEvent: NonNullable<ResolverOptions['resolveEvent']>, { event, planned, rest, variables, context, format }: EventRun): Promise<FormattedExecutionResult> {
  const eventErrorsAsGraphQL = eventErrors(event, planned.primary.serviceName).map(
    (e) => new GraphQLError(e.message, { ...(e.path ? { path: e.path } : {}), ...(e.extensions ? { extensions: e.extensions } : {}) }),
  );
  const data = (event.data ?? null) as Record<string, unknown> | null;
  let result: Awaited<ReturnType<typeof resolveEvent>>;
  try {
    result = await resolveEvent({ rest, document: planned.document, operationName: planned.operationName, data, errors: eventErrorsAsGraphQL, variables, context });
  } catch (error) {
    context.logger.error({ err: error }, 'subscription event could not be resolved');
    return { errors: format([internalError()]) };
  }
  const errors = result.errors?.map((error) => (error instanceof GraphQLError ? error.toJSON() : (error as GraphQLFormattedError)));
  return { data: (result.data ?? null) as FormattedExecutionResult['data'], ...(errors?.length ? { errors: format(errors) } : {}) };
}

/** The event's `rest` through Apollo Gateway's executor, the event standing in for the primary fetch. */
async function resolveWithApolloGateway(dataSources: Record<string, GraphQLDataSource>, { event, planned, rest, variables, context, format }: EventRun): Promise<FormattedExecutionResult> {
  const primary = { ...planned.primary, serviceName: EVENT_SERVICE };
  const queryPlan: QueryPlan = { kind: 'QueryPlan', node: { kind: 'Sequence', nodes: [primary, rest] } };
  const serviceMap: Record<string, GraphQLDataSource> = {
    ...dataSources,
    [EVENT_SERVICE]: { process: async () => ({ data: event.data ?? null, ...(event.errors ? { errors: event.errors } : {}) }) } as GraphQLDataSource,
  };
  const requestContext = {
    request: { variables },
    context,
    logger: context.logger,
    metrics: {},
  } as unknown as Parameters<typeof executeQueryPlan>[2];
  const result = await executeQueryPlan(queryPlan, serviceMap, requestContext, planned.operationContext, planned.supergraphSchema, planned.apiSchema);
  const errors = result.errors?.map((error) => {
    const json = error instanceof GraphQLError ? error.toJSON() : (error as GraphQLFormattedError);
    if (json.extensions?.serviceName === EVENT_SERVICE) return { ...json, extensions: { ...json.extensions, serviceName: planned.primary.serviceName } };
    return json;
  });
  return { data: (result.data ?? null) as FormattedExecutionResult['data'], ...(errors?.length ? { errors: format(errors) } : {}) };
}

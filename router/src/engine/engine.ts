import type { ApolloServerOptionsWithGateway, ApolloServerPlugin, BaseContext, GraphQLRequestMetrics } from '@apollo/server';
import type { PlanNode as ApolloPlanNode } from '@apollo/query-planner';
import { GraphQLError, getOperationAST, isAbstractType, print, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { ErrorCode, formatError } from '@voiceassist/errors';
import type { Logger } from '@voiceassist/logging';
import { Counter, type Histogram, type Registry } from '@voiceassist/metrics';
import { libraryTracer, withSpan } from '@voiceassist/tracing';
import type { RouterContext } from '../context.js';
import { activeFragments, findDeferredFragments, incrementalItems, withoutDeferred, type DeferredFragment } from './defer.js';
import { cloneJson, executePlan, type JsonObject, type TypeMatcher } from './executor.js';
import { PlanCache } from './plan-cache.js';
import { UnsupportedPlanError, fromApolloPlan, type PlanNode } from './plan.js';
import { createEnginePlanner, type EnginePlanner, type QueryPlannerName } from './planner.js';
import { Projection } from './projection.js';
import { SubgraphClient } from './subgraph-client.js';

export { QUERY_PLANNERS, type QueryPlannerName } from './planner.js';

// Apollo Server's gateway contract, named through @apollo/server (which depends on its package).
type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type GatewaySchemaLoadOrUpdateCallback = Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;
type GatewayGraphQLRequestContext = Parameters<GatewayExecutor>[0];
type GatewayExecutionResult = Awaited<ReturnType<GatewayExecutor>>;

export interface QueryEngineOptions {
  supergraphSdl: string;
  /** The client-facing schema (validation, projection, introspection). */
  apiSchema: GraphQLSchema;
  /** The whole supergraph, for matching entities' types in plans. */
  supergraphSchema: GraphQLSchema;
  subgraphUrls: Record<string, string>;
  planner: QueryPlannerName;
  /** Identical concurrent queries of one caller share one execution. */
  deduplicateQueries: boolean;
  planCacheSize: number;
  subgraphTimeoutMs: number;
  subgraphLatency: Histogram<'subgraph' | 'outcome'>;
  registry: Registry;
  logger: Logger;
  /** Where Hive's planner comes from (tests stand in for a platform without its binary). */
  loadHivePlanner?: Parameters<typeof createEnginePlanner>[0]['loadHive'];
}

/** One event of a subscription whose plan fetches more (its `rest`) from other subgraphs. */
export interface SubscriptionEvent {
  /** Apollo's plan for the rest of the event (subscriptions are planned with Apollo's planner). */
  rest: ApolloPlanNode;
  document: DocumentNode;
  operationName: string | undefined;
  /** What the owning subgraph pushed, and its errors (already naming that subgraph). */
  data: JsonObject | null;
  errors: GraphQLError[];
  variables: JsonObject;
  context: RouterContext;
}

// The later parts of `@defer` answers, by the request they belong to (Apollo Server's per-request
// metrics object, which the plugin sees too). One map for every engine: after a supergraph reload
// a request still in flight on the previous engine finds its parts here all the same.
const laterParts = new WeakMap<GraphQLRequestMetrics, Promise<SubsequentResult>>();

/** Turns an answer whose `@defer` fragments are still running into incremental delivery (multipart/mixed). */
export const deferredPartsPlugin: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async willSendResponse(requestContext) {
        const later = laterParts.get(requestContext.metrics);
        const body = requestContext.response.body;
        if (!later || body?.kind !== 'single') return;
        laterParts.delete(requestContext.metrics);
        requestContext.response.body = {
          kind: 'incremental',
          initialResult: { ...body.singleResult, hasNext: true },
          subsequentResults: (async function* () {
            yield await later;
          })(),
        };
      },
    };
  },
};

export interface QueryEngine {
  /** Plugs into Apollo Server in place of Apollo Gateway: Apollo Server still parses and validates. */
  gateway: GatewayInterface;
  planner: EnginePlanner;
  /** Runs a subscription event's `rest` and writes the client's selection, as for a query. */
  resolveEvent(event: SubscriptionEvent): Promise<GatewayExecutionResult>;
  close(): void;
}

interface PreparedOperation {
  plan: PlanNode | undefined;
  projection: Projection;
  /** The operation's `@defer` fragments, and its first part per set of fragments a request defers. */
  deferred?: { document: DocumentNode; fragments: DeferredFragment[]; primaries: Map<string, PreparedOperation | GraphQLError> } | undefined;
}

/** Apollo's incremental delivery format (the one Apollo Client and Apollo Router speak); answered only to clients that ask for it. */
const DEFER_SPEC = 'deferspec=20220824';

/** Whether Accept names multipart/mixed with `deferSpec=20220824` (and not the newer incrementalSpec, which Apollo Server would pick). */
function acceptsDeferSpec(accept: string | null | undefined): boolean {
  if (!accept) return false;
  const ranges = accept.toLowerCase().split(',').map((range) => range.split(';').map((part) => part.trim().replace(/"/g, '')));
  const multipart = ranges.filter(([type, ...params]) => type === 'multipart/mixed' && !params.includes('q=0'));
  return multipart.some((params) => params.includes(DEFER_SPEC)) && !multipart.some((params) => params.some((param) => param.startsWith('incrementalspec=')));
}

type SubsequentResult = { hasNext: boolean; incremental?: Array<{ data: Record<string, unknown> | null; path: Array<string | number>; label?: string; errors?: GraphQLFormattedError[] }> };

function typeMatcher(schema: GraphQLSchema): TypeMatcher {
  const possible = new Map<string, Set<string>>();
  return (typename, condition) => {
    if (typename === condition) return true;
    let names = possible.get(condition);
    if (!names) {
      const type = schema.getType(condition);
      names = new Set(type && isAbstractType(type) ? schema.getPossibleTypes(type).map((t) => t.name) : []);
      possible.set(condition, names);
    }
    return names.has(typename);
  };
}

/** router_deduplicated_queries_total: a supergraph reload builds a new engine on the same registry, and the counter carries on. */
function deduplicatedQueries(registry: Registry): Counter {
  return (
    (registry.getSingleMetric('router_deduplicated_queries_total') as Counter | undefined) ??
    new Counter({ name: 'router_deduplicated_queries_total', help: 'Queries answered by an identical concurrent query of the same caller', registers: [registry] })
  );
}

type Compile = (source: string, document: DocumentNode, operationName: string | undefined, projected?: DocumentNode) => PreparedOperation | GraphQLError;
type Execute = (prepared: PreparedOperation, variables: JsonObject, coercedVariables: JsonObject, context: RouterContext | undefined) => Promise<GatewayExecutionResult>;

/** The operation without the fragments a request defers: its first part (kept with the operation's plan). */
function preparePrimary(compile: Compile, prepared: PreparedOperation, active: DeferredFragment[], operationName: string | undefined): PreparedOperation | GraphQLError {
  const deferred = prepared.deferred!;
  const key = deferred.fragments.map((fragment) => (active.includes(fragment) ? '1' : '0')).join('');
  let primary = deferred.primaries.get(key);
  if (!primary) {
    const { planned, projected } = withoutDeferred(deferred.document, active);
    primary = compile(print(planned), planned, operationName, projected);
    deferred.primaries.set(key, primary);
  }
  return primary;
}

/**
 * Runs the operation without its deferred fragments and the whole operation side by side:
 * answers the first (the first part), and leaves the deferred fragments' fields of the whole
 * one for the plugin to send after it. Runs the whole operation only when the first part
 * cannot be had on its own.
 */
async function executeDeferred(
  { compile, execute, logger }: { compile: Compile; execute: Execute; logger: Logger },
  requestContext: GatewayGraphQLRequestContext,
  prepared: PreparedOperation,
  active: DeferredFragment[],
  variables: JsonObject,
  coercedVariables: JsonObject,
  context: RouterContext | undefined,
): Promise<GatewayExecutionResult> {
  const primary = preparePrimary(compile, prepared, active, requestContext.operationName ?? undefined);
  if (primary instanceof GraphQLError) return execute(prepared, variables, coercedVariables, context);
  const whole = execute(prepared, variables, coercedVariables, context);
  // The whole run's failure is reported in the later part; never unhandled meanwhile.
  const settledWhole = whole.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  const first = await execute(primary, variables, coercedVariables, context);
  if (!first.data) return first;
  const reported = new Set((first.errors ?? []).map((error) => JSON.stringify([error.message, error.path])));
  laterParts.set(
    requestContext.metrics,
    settledWhole.then((settled): SubsequentResult => {
      if ('error' in settled) {
        logger.error({ err: settled.error }, 'deferred fragments failed');
        return { hasNext: false, incremental: [{ data: null, path: [], errors: [formatError({ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } })] }] };
      }
      const errors = (settled.result.errors ?? []).filter((error) => !reported.has(JSON.stringify([error.message, error.path])));
      const items = incrementalItems(active, (settled.result.data ?? null) as JsonObject | null, errors as GraphQLError[]);
      return {
        hasNext: false,
        incremental: items.map(({ errors: itemErrors, ...item }) => ({ ...item, ...(itemErrors ? { errors: itemErrors.map((error) => formatError(error.toJSON())) } : {}) })),
      };
    }),
  );
  return first;
}

/** Runs a subscription event's `rest` and projects the client's selection (QueryEngine['resolveEvent']). */
function eventResolver(apiSchema: GraphQLSchema, subgraphs: Record<string, SubgraphClient>, matches: TypeMatcher): (event: SubscriptionEvent) => Promise<GatewayExecutionResult> {
  // Subscription plans are cached by the subscription planner: their `rest` node identifies the operation.
  const eventOperations = new WeakMap<ApolloPlanNode, PreparedOperation | GraphQLError>();
  return async (event) => {
    let prepared = eventOperations.get(event.rest);
    if (!prepared) {
      try {
        prepared = { plan: fromApolloPlan(event.rest), projection: Projection.compile(apiSchema, event.document, event.operationName) };
      } catch (error) {
        if (!(error instanceof UnsupportedPlanError)) throw error;
        prepared = new GraphQLError(error.message, { extensions: { code: ErrorCode.BAD_USER_INPUT } });
      }
      eventOperations.set(event.rest, prepared);
    }
    if (prepared instanceof GraphQLError) return { errors: [prepared] };
    const coerced = getVariableValues(apiSchema, getOperationAST(event.document, event.operationName)?.variableDefinitions ?? [], event.variables);
    if (coerced.errors) return { errors: coerced.errors };
    // A shared stream hands one event to every subscriber: each run merges into its own copy.
    const executed = await executePlan(prepared.plan, { subgraphs, matches, variables: event.variables, coercedVariables: coerced.coerced, context: event.context }, cloneJson(event.data ?? {}));
    const errors = [...event.errors, ...executed.errors];
    const data = prepared.projection.apply(executed.data, coerced.coerced, errors);
    return errors.length > 0 ? { data, errors } : { data };
  };
}

/**
 * The router's own query engine for queries and mutations: plans with Hive's planner (or
 * Apollo's), runs the plan against the subgraphs and projects the client's selection.
 */
export function createQueryEngine(options: QueryEngineOptions): QueryEngine {
  const { apiSchema, logger } = options;
  const planner = createEnginePlanner({ wanted: options.planner, supergraphSdl: options.supergraphSdl, logger, ...(options.loadHivePlanner ? { loadHive: options.loadHivePlanner } : {}) });
  logger.info({ queryPlanner: planner.name, deduplicateQueries: options.deduplicateQueries }, 'query engine ready');
  const subgraphs: Record<string, SubgraphClient> = {};
  for (const [name, url] of Object.entries(options.subgraphUrls)) subgraphs[name] = new SubgraphClient(name, url, options.subgraphLatency, options.subgraphTimeoutMs);
  const matches = typeMatcher(options.supergraphSchema);
  const cache = new PlanCache<PreparedOperation | GraphQLError>(options.planCacheSize, options.registry);
  const inFlight = new Map<string, Promise<GatewayExecutionResult>>();
  // Inside the router's request span: these spans take the router's service name.
  const tracer = libraryTracer('router-engine');
  const deduplicated = deduplicatedQueries(options.registry);

  function compile(source: string, document: DocumentNode, operationName: string | undefined, projected: DocumentNode = document): PreparedOperation | GraphQLError {
    try {
      const fragments = projected === document ? findDeferredFragments(document, operationName) : [];
      return {
        plan: planner.plan(source, document, operationName),
        projection: Projection.compile(apiSchema, projected, operationName),
        // The fragments are nodes of this document: the first part is cut out of it, not out of a later request's.
        ...(fragments.length > 0 ? { deferred: { document, fragments, primaries: new Map() } } : {}),
      };
    } catch (error) {
      if (error instanceof UnsupportedPlanError) return new GraphQLError(error.message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(error.field ? { field: error.field } : {}) } });
      throw error;
    }
  }

  function prepare(requestContext: GatewayGraphQLRequestContext): PreparedOperation | GraphQLError {
    const operationName = requestContext.operationName ?? undefined;
    return cache.getOrCreate(`${requestContext.queryHash}\u0000${operationName ?? ''}`, () => compile(requestContext.source, requestContext.document, operationName));
  }

  function execute(prepared: PreparedOperation, variables: JsonObject, coercedVariables: JsonObject, context: RouterContext | undefined): Promise<GatewayExecutionResult> {
    return withSpan(tracer, 'router.execute', {}, () => executeOnce(prepared, variables, coercedVariables, context));
  }

  async function executeOnce(prepared: PreparedOperation, variables: JsonObject, coercedVariables: JsonObject, context: RouterContext | undefined): Promise<GatewayExecutionResult> {
    const executed = await executePlan(prepared.plan, { subgraphs, matches, variables, coercedVariables, context });
    const data = prepared.projection.apply(executed.data, coercedVariables, executed.errors);
    return executed.errors.length > 0 ? { data, errors: executed.errors } : { data };
  }

  const resolveEvent = eventResolver(apiSchema, subgraphs, matches);

  const callbacks = new Set<GatewaySchemaLoadOrUpdateCallback>();
  const gateway: GatewayInterface = {
    onSchemaLoadOrUpdate(callback) {
      callbacks.add(callback);
      return () => callbacks.delete(callback);
    },
    async load() {
      for (const callback of callbacks) callback({ apiSchema, coreSupergraphSdl: options.supergraphSdl });
      return {
        async executor(requestContext) {
          const kind = requestContext.operation.operation;
          if (kind === 'subscription') return { errors: [new GraphQLError('Subscriptions are served over WebSocket (graphql-ws)', { extensions: { code: ErrorCode.BAD_USER_INPUT } })] };
          const variables = (requestContext.request.variables ?? {}) as JsonObject;
          const coerced = getVariableValues(apiSchema, requestContext.operation.variableDefinitions ?? [], variables);
          if (coerced.errors) return { errors: coerced.errors };
          // Planning runs only on a plan cache miss; the span says which.
          const prepared = withSpan(tracer, 'router.plan', {}, () => prepare(requestContext));
          if (prepared instanceof GraphQLError) return { errors: [prepared] };
          const context = requestContext.context as RouterContext | undefined;
          // @defer: incremental delivery for queries of clients that accept it, alone in their request; the whole answer at once otherwise.
          if (prepared.deferred && kind === 'query' && !requestContext.requestIsBatched && acceptsDeferSpec(requestContext.request.http?.headers.get('accept'))) {
            const active = activeFragments(prepared.deferred.fragments, coerced.coerced);
            if (active.length > 0) return executeDeferred({ compile, execute, logger }, requestContext, prepared, active, variables, coerced.coerced, context);
          }
          if (!options.deduplicateQueries || kind !== 'query') return execute(prepared, variables, coerced.coerced, context);
          // Shared only by the same caller (its credentials), never across users or roles.
          const key = `${requestContext.queryHash}\u0000${requestContext.operationName ?? ''}\u0000${context?.authorization ?? ''}\u0000${JSON.stringify(variables)}`;
          const running = inFlight.get(key);
          if (running) {
            deduplicated.inc();
            return running;
          }
          const result = execute(prepared, variables, coerced.coerced, context).finally(() => inFlight.delete(key));
          inFlight.set(key, result);
          return result;
        },
      };
    },
    async stop() {
      for (const client of Object.values(subgraphs)) client.close();
    },
  };

  return {
    gateway,
    planner,
    resolveEvent,
    close() {
      for (const client of Object.values(subgraphs)) client.close();
    },
  };
}

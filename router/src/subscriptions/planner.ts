import { Supergraph, operationFromDocument, type Operation, type Schema } from '@apollo/federation-internals';
import { buildOperationContext } from '@apollo/gateway';
import { QueryPlanner, type FetchNode, type PlanNode } from '@apollo/query-planner';
import { getOperationAST, parse, print, type DocumentNode, type GraphQLSchema } from 'graphql';

export type OperationContext = ReturnType<typeof buildOperationContext>;

export interface PlannedSubscription {
  /** The fetch that opens the event stream on the owning subgraph. */
  primary: FetchNode;
  /** What resolves each event's fields owned by other subgraphs. */
  rest: PlanNode | undefined;
  operationContext: OperationContext;
  /** The client's operation as the planner sees it, for shaping results. */
  operation: Operation;
  /** The client's document and operation name (the native engine compiles its projection from them). */
  document: DocumentNode;
  operationName: string | undefined;
  /** The root subscription field, for metrics. */
  field: string;
  /**
   * The subgraph's events are already the client's results: the primary fetch selects exactly
   * what the client selected (same fields, aliases, order and arguments) and nothing comes from
   * another subgraph, so an event without errors needs no shaping.
   */
  passThrough: boolean;
  /** The schemas it was planned on: its events keep running on them after a supergraph reload. */
  supergraphSchema: GraphQLSchema;
  apiSchema: Schema;
}

const PLAN_CACHE_SIZE = 500;

/**
 * Plans subscriptions with the gateway's query planner, which Apollo Gateway itself refuses
 * to execute: the plan's `primary` fetch opens the stream, `rest` runs once per event.
 */
export class SubscriptionPlanner {
  readonly apiSchema: Schema;
  /** The client-facing schema, for validating operations. */
  readonly graphqlApiSchema: GraphQLSchema;
  readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly cache = new Map<string, PlannedSubscription>();
  /** Hidden (@inaccessible) enum values and fields are filtered by shaping, never passed through. */
  private readonly hidesElements: boolean;

  constructor(supergraphSdl: string) {
    this.hidesElements = supergraphSdl.includes('@inaccessible');
    const supergraph = Supergraph.build(supergraphSdl);
    this.apiSchema = supergraph.apiSchema();
    this.graphqlApiSchema = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
  }

  plan(document: DocumentNode, operationName: string | undefined, cacheKey: string): PlannedSubscription {
    const key = `${operationName ?? ''}\u0000${cacheKey}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const operation = operationFromDocument(this.apiSchema, document, operationName ? { operationName } : {});
    const plan = this.planner.buildQueryPlan(operation);
    const node = plan.node;
    if (node?.kind !== 'Subscription') throw new Error('Not a subscription operation');
    const ast = getOperationAST(document, operationName);
    const firstField = ast?.selectionSet.selections.find((s) => s.kind === 'Field');
    const fetched = getOperationAST(parse(node.primary.operation));
    const passThrough = !node.rest && !this.hidesElements && !!ast && !!fetched && print(fetched.selectionSet) === print(ast.selectionSet);
    const planned: PlannedSubscription = {
      primary: node.primary,
      rest: node.rest,
      operation,
      document,
      operationName,
      operationContext: buildOperationContext({ schema: this.graphqlApiSchema, operationDocument: document, ...(operationName ? { operationName } : {}) }),
      field: firstField?.kind === 'Field' ? firstField.name.value : 'unknown',
      passThrough,
      supergraphSchema: this.supergraphSchema,
      apiSchema: this.apiSchema,
    };
    if (this.cache.size >= PLAN_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, planned);
    return planned;
  }
}

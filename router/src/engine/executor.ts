import { GraphQLError, OperationTypeNode } from 'graphql';
import { ErrorCode } from '@voiceassist/errors';
import type { RouterContext } from '../context.js';
import type { BatchFetchNode, FetchNode, FlattenSegment, PlanNode, RequiresSelection, Rewrite } from './plan.js';
import type { SubgraphError, SubgraphRequest, SubgraphResponse } from './subgraph-client.js';

export type JsonObject = Record<string, unknown>;
type Path = Array<string | number>;

export interface SubgraphFetcher {
  fetch(request: SubgraphRequest, context: RouterContext | undefined): Promise<SubgraphResponse>;
}

/** Whether an object of runtime type `typename` matches a type condition (the supergraph's subtyping). */
export type TypeMatcher = (typename: string, condition: string) => boolean;

export interface PlanExecution {
  subgraphs: Record<string, SubgraphFetcher>;
  matches: TypeMatcher;
  /** The client's variables as sent, passed on to subgraphs. */
  variables: JsonObject;
  /** The same, coerced with defaults: what `@skip`/`@include` conditions read. */
  coercedVariables: JsonObject;
  context: RouterContext | undefined;
}

/** The merged subgraph answers (before projection) and the subgraphs' errors re-pathed into the client's response. */
export interface ExecutedPlan {
  data: JsonObject;
  errors: GraphQLError[];
}

/**
 * Runs a plan: fetches in sequence or parallel as planned, entity fetches with their
 * representations deduplicated, each answer merged in place into one result tree.
 */
export async function executePlan(plan: PlanNode | undefined, execution: PlanExecution, data: JsonObject = {}): Promise<ExecutedPlan> {
  const errors: GraphQLError[] = [];
  if (plan) await new PlanRun(execution, data, errors, repeatedFetches(plan)).run(plan, [{ value: data, path: [] }]);
  return { data, errors };
}

const repeatedFetchesOf = new WeakMap<PlanNode, Set<string>>();

/**
 * The query fetches a plan holds more than once (same subgraph, same operation): only these can
 * meet an identical request in one run, so only their answers are kept for sharing.
 */
function repeatedFetches(plan: PlanNode): Set<string> {
  let repeated = repeatedFetchesOf.get(plan);
  if (repeated) return repeated;
  repeated = new Set();
  const seen = new Set<string>();
  const visit = (node: PlanNode | undefined): void => {
    if (!node) return;
    switch (node.kind) {
      case 'Sequence':
      case 'Parallel':
        node.nodes.forEach(visit);
        return;
      case 'Condition':
        visit(node.ifClause);
        visit(node.elseClause);
        return;
      case 'Flatten':
        visit(node.node);
        return;
      case 'Fetch':
      case 'BatchFetch': {
        if (node.operationKind !== OperationTypeNode.QUERY) return;
        const key = fetchKey(node);
        if (seen.has(key)) repeated!.add(key);
        seen.add(key);
      }
    }
  };
  visit(plan);
  repeatedFetchesOf.set(plan, repeated);
  return repeated;
}

function fetchKey(node: FetchNode | BatchFetchNode): string {
  return `${node.serviceName}\u0000${node.operation}`;
}

interface Located {
  value: JsonObject;
  path: Path;
}

class PlanRun {
  /** Answers of repeated fetches by request: an identical request in this run is sent once. */
  private readonly answered = new Map<string, Promise<SubgraphResponse>>();

  constructor(
    private readonly execution: PlanExecution,
    private readonly root: JsonObject,
    private readonly errors: GraphQLError[],
    private readonly repeated: Set<string>,
  ) {}

  async run(node: PlanNode, targets: Located[], flattenPath: FlattenSegment[] = []): Promise<void> {
    switch (node.kind) {
      case 'Sequence':
        for (const child of node.nodes) await this.run(child, targets, flattenPath);
        return;
      case 'Parallel':
        await Promise.all(node.nodes.map((child) => this.run(child, targets, flattenPath)));
        return;
      case 'Condition': {
        const branch = this.execution.coercedVariables[node.condition] === true ? node.ifClause : node.elseClause;
        if (branch) await this.run(branch, targets, flattenPath);
        return;
      }
      case 'Flatten': {
        const path = [...flattenPath, ...node.path];
        await this.run(node.node, this.locate(path), path);
        return;
      }
      case 'Fetch':
        await (node.requires ? this.fetchEntities(node, targets) : this.fetchRoot(node, targets, flattenPath));
        return;
      case 'BatchFetch':
        await this.fetchBatch(node);
        return;
    }
  }

  private variablesFor(usages: string[]): JsonObject {
    const variables: JsonObject = {};
    const { variables: provided, coercedVariables } = this.execution;
    for (const name of usages) {
      if (Object.hasOwn(provided, name) && provided[name] !== undefined) variables[name] = provided[name];
      else if (Object.hasOwn(coercedVariables, name)) variables[name] = coercedVariables[name];
    }
    return variables;
  }

  private send(node: FetchNode | BatchFetchNode, variables: JsonObject): Promise<SubgraphResponse> {
    const subgraph = this.execution.subgraphs[node.serviceName];
    if (!subgraph) return Promise.resolve({ errors: [{ message: `The ${node.serviceName} service is unknown`, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
    const request = () => subgraph.fetch({ query: node.operation, operationName: node.operationName, variables }, this.execution.context);
    const fetch = fetchKey(node);
    if (!this.repeated.has(fetch)) return request();
    const key = `${fetch}\u0000${JSON.stringify(variables)}`;
    let answer = this.answered.get(key);
    if (!answer) {
      answer = request();
      this.answered.set(key, answer);
    }
    // Each use merges (and rewrites) its answer in place: every use gets its own copy.
    return answer.then(cloneJson);
  }

  private async fetchRoot(node: FetchNode, targets: Located[], flattenPath: FlattenSegment[]): Promise<void> {
    if (targets.length === 0) return;
    const response = await this.send(node, this.variablesFor(node.variableUsages));
    if (response.errors?.length) {
      const prefix = flattenPath.length === 0 ? [] : undefined;
      for (const error of response.errors) this.errors.push(downstreamError(error, node.serviceName, prefix && error.path ? [...prefix, ...error.path] : undefined));
    }
    const data = response.data;
    if (!isObject(data)) return;
    if (node.outputRewrites) applyRewrites(node.outputRewrites, data, this.execution.matches);
    for (const target of targets) deepMerge(target.value, data);
  }

  /** Representations of the entities, one per distinct value; `owners[i]` are the indexes of the entities it stands for. */
  private representations(entities: JsonObject[], requires: RequiresSelection[], inputRewrites: Rewrite[] | undefined) {
    const representations: JsonObject[] = [];
    const owners: number[][] = [];
    const seen = new Map<string, number>();
    entities.forEach((entity, index) => {
      const representation = selectRequired(entity, requires, this.execution);
      if (!representation || typeof representation.__typename !== 'string') return;
      if (inputRewrites) applyRewrites(inputRewrites, representation, this.execution.matches);
      const key = JSON.stringify(representation);
      const known = seen.get(key);
      if (known !== undefined) {
        owners[known]!.push(index);
        return;
      }
      seen.set(key, representations.length);
      representations.push(representation);
      owners.push([index]);
    });
    return { representations, owners };
  }

  private async fetchEntities(node: FetchNode, located: Located[]): Promise<void> {
    const entities = located.map((entity) => entity.value);
    const { representations, owners } = this.representations(entities, node.requires!, node.inputRewrites);
    if (representations.length === 0) return;
    const response = await this.send(node, { ...this.variablesFor(node.variableUsages), representations });
    this.mergeEntities(node.serviceName, response, '_entities', response.data?._entities, located, owners, node.outputRewrites);
  }

  private async fetchBatch(node: BatchFetchNode): Promise<void> {
    const groups = node.entities.map((alias) => {
      const located = alias.paths.flatMap((path) => this.locate(path));
      return { alias, located, ...this.representations(located.map((entity) => entity.value), alias.requires, alias.inputRewrites) };
    });
    if (groups.every((group) => group.representations.length === 0)) return;
    const variables = this.variablesFor(node.variableUsages);
    for (const group of groups) variables[group.alias.representationsVariableName] = group.representations;
    const response = await this.send(node, variables);
    const errors = response.errors ?? [];
    for (const group of groups) {
      const ownErrors = errors.filter((error) => error.path?.[0] === group.alias.alias);
      this.mergeEntities(node.serviceName, { ...response, errors: ownErrors }, group.alias.alias, response.data?.[group.alias.alias], group.located, group.owners, group.alias.outputRewrites);
    }
    for (const error of errors) if (!node.entities.some((alias) => alias.alias === error.path?.[0])) this.errors.push(downstreamError(error, node.serviceName, undefined));
  }

  private mergeEntities(
    serviceName: string,
    response: SubgraphResponse,
    field: string,
    received: unknown,
    entities: Located[],
    owners: number[][],
    outputRewrites: Rewrite[] | undefined,
  ): void {
    if (response.errors?.length) {
      for (const error of response.errors) {
        const index = error.path?.[0] === field ? error.path[1] : undefined;
        if (typeof index !== 'number' || !owners[index]) {
          this.errors.push(downstreamError(error, serviceName, undefined));
          continue;
        }
        // A deduplicated representation stands for several places in the response: each gets the error.
        for (const owner of owners[index]) this.errors.push(downstreamError(error, serviceName, [...entities[owner]!.path, ...error.path!.slice(2)]));
      }
    }
    if (received === undefined || received === null) return;
    if (!Array.isArray(received) || received.length !== owners.length) {
      this.errors.push(
        new GraphQLError(`The ${serviceName} service answered ${Array.isArray(received) ? received.length : 'no list of'} entities for ${owners.length} representations`, {
          extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, serviceName },
        }),
      );
      return;
    }
    received.forEach((entity, index) => {
      if (!isObject(entity)) return;
      const targets = owners[index]!;
      if (entity.__typename === undefined) entity.__typename = entities[targets[0]!]!.value.__typename;
      if (outputRewrites) applyRewrites(outputRewrites, entity, this.execution.matches);
      // Later fetches merge into each place separately: the places must not share objects.
      targets.forEach((target, n) => deepMerge(entities[target]!.value, n === 0 ? entity : cloneJson(entity)));
    });
  }

  /** The objects at a flatten path, in response order, with their paths in the client's response. */
  private locate(path: FlattenSegment[]): Located[] {
    const found: Located[] = [];
    const walk = (value: unknown, depth: number, at: Path) => {
      if (value === null || value === undefined) return;
      if (Array.isArray(value)) {
        // `@` marks a list level; a list reached at the end of the path is flattened the same way.
        const next = path[depth] === '@' ? depth + 1 : depth;
        value.forEach((element, index) => walk(element, next, [...at, index]));
        return;
      }
      if (!isObject(value)) return;
      if (depth === path.length) {
        found.push({ value, path: at });
        return;
      }
      const segment = path[depth]!;
      if (segment === '@') return walk(value, depth + 1, at);
      if ('field' in segment) return walk(value[segment.field], depth + 1, [...at, segment.field]);
      const typename = value.__typename;
      if (typeof typename === 'string' && segment.typeCondition.some((condition) => this.execution.matches(typename, condition))) walk(value, depth + 1, at);
    };
    walk(this.root, 0, []);
    return found;
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (!isObject(value)) return value;
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) copy[key] = cloneJson(value[key]);
  return copy as T;
}

/** Merges a subgraph's answer into the result in place: objects key by key, lists element by element. */
export function deepMerge(target: JsonObject | unknown[], source: JsonObject | unknown[]): void {
  for (const key of Object.keys(source)) {
    if (key === '__proto__') continue;
    const incoming = (source as JsonObject)[key];
    if (incoming === undefined) continue;
    const existing = (target as JsonObject)[key];
    if (existing && typeof existing === 'object' && incoming && typeof incoming === 'object') deepMerge(existing as JsonObject, incoming as JsonObject);
    else (target as JsonObject)[key] = incoming;
  }
}

/** An entity's representation: the fields its `requires` select; null when one is missing. */
function selectRequired(source: JsonObject, selections: RequiresSelection[], execution: PlanExecution): JsonObject | null {
  const result: JsonObject = {};
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const value = source[selection.fetchedAs ?? selection.name];
      if (value === undefined) return null;
      result[selection.name] = selection.selections ? selectValue(value, selection.selections, execution) : value;
      continue;
    }
    if (selection.skipIf && execution.coercedVariables[selection.skipIf] === true) continue;
    if (selection.includeIf && execution.coercedVariables[selection.includeIf] !== true) continue;
    const typename = source.__typename;
    if (!selection.typeCondition || (typeof typename === 'string' && execution.matches(typename, selection.typeCondition))) {
      const inner = selectRequired(source, selection.selections, execution);
      if (inner) deepMerge(result, inner);
    }
  }
  return result;
}

function selectValue(value: unknown, selections: RequiresSelection[], execution: PlanExecution): unknown {
  if (Array.isArray(value)) return value.map((element) => selectValue(element, selections, execution));
  return isObject(value) ? selectRequired(value, selections, execution) : value;
}

/** Applies the planner's renames and fixed values to a representation (input) or an answer (output). */
function applyRewrites(rewrites: Rewrite[], value: unknown, matches: TypeMatcher): void {
  for (const rewrite of rewrites) {
    const last = rewrite.path[rewrite.path.length - 1];
    if (!last || !('key' in last)) continue;
    applyAt(rewrite.path.slice(0, -1), value, matches, (object) => {
      if (rewrite.kind === 'ValueSetter') {
        object[last.key] = rewrite.setValueTo;
      } else if (object[last.key] !== undefined) {
        object[rewrite.renameKeyTo] = object[last.key];
        delete object[last.key];
      }
    });
  }
}

function applyAt(path: Rewrite['path'], value: unknown, matches: TypeMatcher, apply: (object: JsonObject) => void): void {
  if (Array.isArray(value)) {
    for (const element of value) applyAt(path, element, matches, apply);
    return;
  }
  if (!isObject(value)) return;
  const [first, ...rest] = path;
  if (!first) return apply(value);
  if ('key' in first) return applyAt(rest, value[first.key], matches, apply);
  const typename = value.__typename;
  // An object without __typename is taken to match, as Apollo's gateway does.
  if (typeof typename !== 'string' || first.typenameEquals.some((condition) => matches(typename, condition))) applyAt(rest, value, matches, apply);
}

/** A subgraph's error in the client's response: its path there, the subgraph named, a code always. */
function downstreamError(error: SubgraphError, serviceName: string, path: Path | undefined): GraphQLError {
  const extensions = error.extensions ?? {};
  return new GraphQLError(error.message || `Error while fetching subquery from service "${serviceName}"`, {
    ...(path ? { path } : {}),
    extensions: { ...extensions, code: typeof extensions.code === 'string' ? extensions.code : ErrorCode.DOWNSTREAM_SERVICE_ERROR, serviceName },
  });
}

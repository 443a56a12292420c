import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  parse,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
  /** Multiplier for list fields without a `first`/`limit` argument. */
  defaultListSize: number;
}

export type LimitName = 'depth' | 'aliases' | 'rootFields' | 'tokens' | 'directives' | 'cost';

export interface OperationShape {
  depth: number;
  aliases: number;
  rootFields: number;
  directives: number;
  cost: number;
}

export function limitExceeded(limit: LimitName, actual: number, max: number): GraphQLError {
  return new GraphQLError(`Operation exceeds the ${limit} limit (${actual} > ${max})`, {
    extensions: { code: 'BAD_USER_INPUT', field: 'query', limit, max, actual, http: { status: 400 } },
  });
}

const LIST_SIZE_ARGUMENTS = ['first', 'last', 'limit'];

/**
 * Static shape of an operation, measured before any planning: depth, aliases, root fields,
 * directives and a cost estimate where a list field multiplies the cost of what it selects by
 * its `first`/`limit` argument (or a default list size).
 */
export function measureOperation(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  schema: GraphQLSchema,
  variables: Record<string, unknown>,
  defaultListSize: number,
): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let aliases = 0;
  let directives = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // Aliases and directives count as written (fragments once), so a bomb is caught cheaply.
  const countWritten = (selectionSet: SelectionSetNode | undefined) => {
    for (const selection of selectionSet?.selections ?? []) {
      directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD && selection.alias) aliases += 1;
      if (selection.kind !== Kind.FRAGMENT_SPREAD) countWritten(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) {
      directives += definition.directives?.length ?? 0;
      countWritten(definition.selectionSet);
    }
  }

  const listSize = (field: FieldNode): number => {
    for (const argument of field.arguments ?? []) {
      if (!LIST_SIZE_ARGUMENTS.includes(argument.name.value)) continue;
      const value = numberValue(argument.value, variables);
      if (value !== undefined) return Math.max(0, value);
    }
    return defaultListSize;
  };

  // Depth and cost walk fragments expanded, with the fragment path guarding against cycles.
  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined, depth: number, seen: Set<string>): { depth: number; cost: number } => {
    let maxDepth = depth;
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const definition = fieldDefinition(parent, selection.name.value);
        let childCost = 0;
        let childDepth = depth + 1;
        if (selection.selectionSet) {
          const child = walk(selection.selectionSet, definition ? getNamedType(definition.type) : undefined, depth + 1, seen);
          childCost = child.cost;
          childDepth = child.depth;
        }
        const nullable = definition ? getNullableType(definition.type) : undefined;
        // A connection is sized by its `first`; its `edges`/`nodes` lists are that same page.
        const pageOfConnection = parent?.name.endsWith('Connection') && (selection.name.value === 'edges' || selection.name.value === 'nodes');
        const isList = !pageOfConnection && nullable !== undefined && (isListType(nullable) || getNamedType(nullable).name.endsWith('Connection'));
        cost += isList ? 1 + listSize(selection) * childCost : 1 + childCost;
        maxDepth = Math.max(maxDepth, childDepth);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) ?? parent : parent;
        const child = walk(selection.selectionSet, type, depth, seen);
        cost += child.cost;
        maxDepth = Math.max(maxDepth, child.depth);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue;
        const child = walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? parent, depth, new Set([...seen, name]));
        cost += child.cost;
        maxDepth = Math.max(maxDepth, child.depth);
      }
    }
    return { depth: maxDepth, cost };
  };

  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  const { depth, cost } = walk(operation.selectionSet, root ?? undefined, 0, new Set());
  const rootFields = operation.selectionSet.selections.length;
  return { depth, aliases, rootFields, directives, cost };
}

function fieldDefinition(parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (parent && (isObjectType(parent) || isInterfaceType(parent))) return parent.getFields()[name];
  return undefined;
}

function numberValue(node: ValueNode, variables: Record<string, unknown>): number | undefined {
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) {
    const value = variables[node.name.value];
    return typeof value === 'number' ? value : undefined;
  }
  return undefined;
}

export interface CheckedOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode | undefined;
}

export type GuardResult = { error: GraphQLError } | { checked: CheckedOperation } | { unparsable: true };

const PARSE_CACHE_SIZE = 1_000;
/** Documents larger than this are parsed every time rather than held in the cache. */
const CACHEABLE_QUERY_LENGTH = 20_000;

/**
 * Checks operations against the limits before any planning. Parses once per distinct document
 * (with the token limit, so a huge document costs nothing beyond the limit); measuring is
 * per request because list sizes may come from variables. Parse errors are left to the normal
 * pipeline, which reports them with their location.
 */
export function createOperationGuard(schema: GraphQLSchema, limits: OperationLimits) {
  const parsed = new Map<string, DocumentNode | 'tokens' | 'unparsable'>();
  const parseCached = (query: string): DocumentNode | 'tokens' | 'unparsable' => {
    const hit = parsed.get(query);
    if (hit) return hit;
    let result: DocumentNode | 'tokens' | 'unparsable';
    try {
      result = parse(query, { maxTokens: limits.maxTokens, noLocation: true });
    } catch (error) {
      result = error instanceof GraphQLError && /contains more th(?:an|at) \d+ tokens/.test(error.message) ? 'tokens' : 'unparsable';
    }
    if (query.length <= CACHEABLE_QUERY_LENGTH) {
      if (parsed.size >= PARSE_CACHE_SIZE) parsed.delete(parsed.keys().next().value as string);
      parsed.set(query, result);
    }
    return result;
  };

  return {
    limits,
    check(query: string, operationName: string | undefined, variables: Record<string, unknown>): GuardResult {
      const document = parseCached(query);
      if (document === 'tokens') return { error: limitExceeded('tokens', limits.maxTokens + 1, limits.maxTokens) };
      if (document === 'unparsable') return { unparsable: true };
      const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
      if (!operation) {
        if (operations.length === 0) return { checked: { document, operation: undefined } };
        const message = operationName ? `Unknown operation named "${operationName}"` : 'Must provide operationName when the document holds several operations';
        return { error: new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field: 'operationName', http: { status: 400 } } }) };
      }
      const shape = measureOperation(document, operation, schema, variables, limits.defaultListSize);
      const checks: Array<[LimitName, number, number]> = [
        ['depth', shape.depth, limits.maxDepth],
        ['aliases', shape.aliases, limits.maxAliases],
        ['rootFields', shape.rootFields, limits.maxRootFields],
        ['directives', shape.directives, limits.maxDirectives],
        ['cost', shape.cost, limits.maxCost],
      ];
      for (const [name, actual, max] of checks) if (actual > max) return { error: limitExceeded(name, actual, max) };
      return { checked: { document, operation } };
    },
  };
}

export type OperationGuard = ReturnType<typeof createOperationGuard>;

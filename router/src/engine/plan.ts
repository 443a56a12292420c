import type { PlanNode as ApolloPlanNode, QueryPlanSelectionNode, FetchDataRewrite, SubscriptionNode } from '@apollo/query-planner';
import type * as Hive from '@graphql-hive/router-query-planner';
import { Kind, parse, type OperationTypeNode } from 'graphql';

/**
 * The engine's plan: one shape for both planners (Hive's and Apollo's), so the executor knows
 * one format. Paths are pre-split into segments at plan time, never parsed per request.
 */
export type PlanNode = FetchNode | BatchFetchNode | SequenceNode | ParallelNode | FlattenNode | ConditionNode;

export interface SequenceNode {
  kind: 'Sequence';
  nodes: PlanNode[];
}
export interface ParallelNode {
  kind: 'Parallel';
  nodes: PlanNode[];
}
export interface ConditionNode {
  kind: 'Condition';
  /** A Boolean variable of the client's operation. */
  condition: string;
  ifClause: PlanNode | undefined;
  elseClause: PlanNode | undefined;
}
/** Into a list: `@`; into a field: its response name; a type condition keeps matching objects. */
export type FlattenSegment = { field: string } | { typeCondition: string[] } | '@';
export interface FlattenNode {
  kind: 'Flatten';
  path: FlattenSegment[];
  node: PlanNode;
}

export type RequiresSelection =
  | {
      kind: 'Field';
      /** The field's key in the representation the subgraph receives. */
      name: string;
      /** Its key in the data fetched so far, when the planner fetched it under another one (a field required with other arguments than the client's). */
      fetchedAs?: string | undefined;
      selections?: RequiresSelection[] | undefined;
    }
  | { kind: 'InlineFragment'; typeCondition: string | undefined; selections: RequiresSelection[]; skipIf?: string | undefined; includeIf?: string | undefined };

export type RewriteSegment = { key: string } | { typenameEquals: string[] };
export type Rewrite =
  | { kind: 'ValueSetter'; path: RewriteSegment[]; setValueTo: string }
  | { kind: 'KeyRenamer'; path: RewriteSegment[]; renameKeyTo: string };

export interface FetchNode {
  kind: 'Fetch';
  serviceName: string;
  operation: string;
  operationName: string | undefined;
  operationKind: OperationTypeNode;
  /** The client's variables this fetch passes on. */
  variableUsages: string[];
  requires: RequiresSelection[] | undefined;
  inputRewrites: Rewrite[] | undefined;
  outputRewrites: Rewrite[] | undefined;
}

/** One request answering several entity fetches of one subgraph, each under its own alias of `_entities`. */
export interface BatchFetchNode {
  kind: 'BatchFetch';
  serviceName: string;
  operation: string;
  operationName: string | undefined;
  operationKind: OperationTypeNode;
  variableUsages: string[];
  entities: Array<{
    alias: string;
    representationsVariableName: string;
    paths: FlattenSegment[][];
    requires: RequiresSelection[];
    inputRewrites: Rewrite[] | undefined;
    outputRewrites: Rewrite[] | undefined;
  }>;
}

export class UnsupportedPlanError extends Error {
  constructor(
    message: string,
    /** The client's field the operation cannot have, when one is to blame. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Variables a subgraph operation declares, less the planner's own representations. */
function declaredVariables(operation: string): string[] {
  const document = parse(operation, { noLocation: true });
  const names: string[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) names.push(variable.variable.name.value);
  }
  return names;
}

function usedVariables(operation: string, listed: string[] | undefined, internal: Set<string>): string[] {
  return (listed ?? declaredVariables(operation)).filter((name) => !internal.has(name));
}

// ---- Hive's planner ----

function fromHiveRewrite(rewrite: Hive.FetchRewrite): Rewrite {
  const path = (segments: Hive.FetchNodePathSegment[]): RewriteSegment[] =>
    segments.map((segment) => ('Key' in segment ? { key: segment.Key } : { typenameEquals: segment.TypenameEquals }));
  if ('ValueSetter' in rewrite) return { kind: 'ValueSetter', path: path(rewrite.ValueSetter.path), setValueTo: rewrite.ValueSetter.setValueTo };
  if ('KeyRenamer' in rewrite) return { kind: 'KeyRenamer', path: path(rewrite.KeyRenamer.path), renameKeyTo: rewrite.KeyRenamer.renameKeyTo };
  return { kind: 'ValueSetter', path: path(rewrite.path), setValueTo: rewrite.setValueTo };
}

function fromHiveRequires(selection: Hive.RequiresSelection): RequiresSelection {
  switch (selection.kind) {
    case 'Field':
      // Hive's `name` is the key in the fetched data (its internal alias of the field) and
      // `alias` the key the representation needs.
      return { kind: 'Field', name: selection.alias ?? selection.name, fetchedAs: selection.alias ? selection.name : undefined, selections: selection.selections?.map(fromHiveRequires) };
    case 'InlineFragment':
      return { kind: 'InlineFragment', typeCondition: selection.typeCondition, selections: selection.selections.map(fromHiveRequires), skipIf: selection.skipIf, includeIf: selection.includeIf };
    default:
      throw new UnsupportedPlanError('Fragment spreads in entity requirements are not supported');
  }
}

function fromHiveFlattenPath(path: Hive.FlattenNodePathSegment[]): FlattenSegment[] {
  return path.map((segment) => (segment === '@' ? '@' : 'Field' in segment ? { field: segment.Field } : { typeCondition: segment.TypeCondition }));
}

type SourceNode = { kind: string };
type StructuralSource<N> =
  | { kind: 'Sequence' | 'Parallel'; nodes: N[] }
  | { kind: 'Condition'; condition: string; ifClause?: N | undefined; elseClause?: N | undefined };

/** What both planners' plans share: structure, and nodes the engine refuses; undefined for the rest. */
function fromStructure<N extends SourceNode>(node: N, convert: (child: N) => PlanNode): PlanNode | undefined {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel': {
      const { kind, nodes } = node as unknown as Extract<StructuralSource<N>, { nodes: N[] }>;
      return { kind, nodes: nodes.map(convert) };
    }
    case 'Condition': {
      const condition = node as unknown as Extract<StructuralSource<N>, { kind: 'Condition' }>;
      return {
        kind: 'Condition',
        condition: condition.condition,
        ifClause: condition.ifClause && convert(condition.ifClause),
        elseClause: condition.elseClause && convert(condition.elseClause),
      };
    }
    case 'Defer':
      throw new UnsupportedPlanError('Defer plan nodes are not supported: the engine plans @defer inline and cuts the deferred parts out of the answer');
    case 'Subscription':
      throw new UnsupportedPlanError('Subscriptions are served over WebSocket');
    default:
      return undefined;
  }
}

interface SourceFetch {
  serviceName: string;
  operation: string;
  operationName?: string | undefined;
  operationKind?: string | undefined;
  variableUsages?: string[] | undefined;
}

function fetchBase(node: SourceFetch, internalVariables: Set<string>) {
  return {
    serviceName: node.serviceName,
    operation: node.operation,
    operationName: node.operationName,
    operationKind: (node.operationKind ?? 'query') as OperationTypeNode,
    variableUsages: usedVariables(node.operation, node.variableUsages, internalVariables),
  };
}

const REPRESENTATIONS = new Set(['representations']);

export function fromHivePlan(node: Hive.PlanNode): PlanNode {
  const structural = fromStructure(node, fromHivePlan);
  if (structural) return structural;
  switch (node.kind) {
    case 'Flatten':
      return { kind: 'Flatten', path: fromHiveFlattenPath(node.path), node: fromHivePlan(node.node) };
    case 'Fetch':
      return {
        kind: 'Fetch',
        ...fetchBase(node, REPRESENTATIONS),
        requires: node.requires?.map(fromHiveRequires),
        inputRewrites: node.inputRewrites?.map(fromHiveRewrite),
        outputRewrites: node.outputRewrites?.map(fromHiveRewrite),
      };
    case 'BatchFetch':
      return {
        kind: 'BatchFetch',
        ...fetchBase(node, new Set(node.entityBatch.aliases.map((alias) => alias.representationsVariableName))),
        entities: node.entityBatch.aliases.map((alias) => ({
          alias: alias.alias,
          representationsVariableName: alias.representationsVariableName,
          paths: alias.paths.map(fromHiveFlattenPath),
          requires: alias.requires.map(fromHiveRequires),
          inputRewrites: alias.inputRewrites?.map(fromHiveRewrite),
          outputRewrites: alias.outputRewrites?.map(fromHiveRewrite),
        })),
      };
    default:
      throw new UnsupportedPlanError(`Unsupported plan node ${node.kind}`);
  }
}

// ---- Apollo's planner ----

const FRAGMENT_PREFIX = '... on ';

function fromApolloRewrite(rewrite: FetchDataRewrite): Rewrite {
  const path = rewrite.path.map((element): RewriteSegment =>
    element.startsWith(FRAGMENT_PREFIX) ? { typenameEquals: [element.slice(FRAGMENT_PREFIX.length)] } : { key: element },
  );
  return rewrite.kind === 'ValueSetter'
    ? { kind: 'ValueSetter', path, setValueTo: rewrite.setValueTo as string }
    : { kind: 'KeyRenamer', path, renameKeyTo: rewrite.renameKeyTo };
}

function fromApolloRequires(selection: QueryPlanSelectionNode): RequiresSelection {
  return selection.kind === 'Field'
    ? { kind: 'Field', name: selection.alias ?? selection.name, selections: selection.selections?.map(fromApolloRequires) }
    : { kind: 'InlineFragment', typeCondition: selection.typeCondition, selections: selection.selections.map(fromApolloRequires) };
}

export function fromApolloPlan(node: ApolloPlanNode | SubscriptionNode): PlanNode {
  const structural = fromStructure(node, fromApolloPlan);
  if (structural) return structural;
  switch (node.kind) {
    case 'Flatten':
      return {
        kind: 'Flatten',
        path: node.path.map((element): FlattenSegment => {
          if (element === '@') return '@';
          const name = String(element);
          return name.startsWith(FRAGMENT_PREFIX) ? { typeCondition: [name.slice(FRAGMENT_PREFIX.length)] } : { field: name };
        }),
        node: fromApolloPlan(node.node),
      };
    case 'Fetch':
      if (node.contextRewrites?.length) throw new UnsupportedPlanError('@fromContext is not supported by this router yet');
      return {
        kind: 'Fetch',
        ...fetchBase(node, REPRESENTATIONS),
        requires: node.requires?.map(fromApolloRequires),
        inputRewrites: node.inputRewrites?.map(fromApolloRewrite),
        outputRewrites: node.outputRewrites?.map(fromApolloRewrite),
      };
    default:
      throw new UnsupportedPlanError(`Unsupported plan node ${node.kind}`);
  }
}

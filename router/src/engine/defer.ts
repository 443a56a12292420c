import {
  type GraphQLError,
  Kind,
  visit,
  type ASTNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { JsonObject } from './executor.js';

// `@defer` answered as incremental delivery (Apollo's `deferSpec=20220824` format): the engine
// runs the operation without its deferred fragments (the first part) alongside the whole
// operation, and cuts each deferred fragment's fields out of the whole result (the later part).

type DeferrableNode = InlineFragmentNode | FragmentSpreadNode;

/** One `@defer` fragment of the client's operation, where it applies in the response. */
export interface DeferredFragment {
  node: DeferrableNode;
  label: string | undefined;
  /** Response keys from the root to the objects the fragment applies to (lists are crossed). */
  path: string[];
  /** The response keys it selects there, through its inner fragments. */
  keys: string[];
  /** The Boolean variable of `if:` when one decides whether it is deferred. */
  ifVariable: string | undefined;
}

/** One entry of a subsequent part: a deferred fragment's fields at one place in the response. */
export interface IncrementalItem {
  data: JsonObject | null;
  path: Array<string | number>;
  label?: string;
  errors?: GraphQLError[];
}

function deferDirective(directives: readonly DirectiveNode[] | undefined): DirectiveNode | undefined {
  return directives?.find((directive) => directive.name.value === 'defer');
}

/** The operation's `@defer` fragments, parents before the ones nested in them; none deferred by a literal `if: false`. */
export function findDeferredFragments(document: DocumentNode, operationName: string | undefined): DeferredFragment[] {
  const operation = operationOf(document, operationName);
  if (!operation) return [];
  const fragments = fragmentsOf(document);
  const found: DeferredFragment[] = [];
  const walk = (selectionSet: SelectionSetNode, path: string[], visiting: Set<string>) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.selectionSet) walk(selection.selectionSet, [...path, responseKey(selection)], visiting);
        continue;
      }
      const inner = selectionSetOf(selection, fragments);
      if (!inner || (selection.kind === Kind.FRAGMENT_SPREAD && visiting.has(selection.name.value))) continue;
      const directive = deferDirective(selection.directives);
      const condition = directive?.arguments?.find((argument) => argument.name.value === 'if')?.value;
      if (directive && !(condition?.kind === Kind.BOOLEAN && !condition.value)) {
        const label = directive.arguments?.find((argument) => argument.name.value === 'label')?.value;
        found.push({
          node: selection,
          label: label?.kind === Kind.STRING ? label.value : undefined,
          path,
          keys: [...new Set(collectKeys(inner, fragments))],
          ifVariable: condition?.kind === Kind.VARIABLE ? condition.name.value : undefined,
        });
      }
      const next = selection.kind === Kind.FRAGMENT_SPREAD ? new Set([...visiting, selection.name.value]) : visiting;
      walk(inner, path, next);
    }
  };
  walk(operation.selectionSet, [], new Set());
  return found;
}

/** The fragments a request defers: those without `if:`, and those whose `if:` variable is true. */
export function activeFragments(fragments: DeferredFragment[], variables: JsonObject): DeferredFragment[] {
  return fragments.filter((fragment) => fragment.ifVariable === undefined || variables[fragment.ifVariable] === true);
}

const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/**
 * The operation without the deferred fragments: `projected` keeps the selection sets that went
 * empty (the first part has `{}` there), `planned` fills them with `__typename` so that they
 * parse and plan. Fragment definitions no longer spread are dropped.
 */
export function withoutDeferred(document: DocumentNode, deferred: DeferredFragment[]): { projected: DocumentNode; planned: DocumentNode } {
  const removed = new Set<ASTNode>(deferred.map((fragment) => fragment.node));
  const remove = (node: ASTNode) => (removed.has(node) ? null : undefined);
  const stripped = visit(document, { InlineFragment: remove, FragmentSpread: remove });
  const projected = withoutUnusedFragments(stripped);
  const planned = visit(projected, {
    SelectionSet: { leave: (node) => (node.selections.length === 0 ? { ...node, selections: [TYPENAME] } : undefined) },
  });
  return { projected, planned };
}

/**
 * The later part's entries, cut out of the whole operation's result: each deferred fragment's
 * fields wherever it applied. `errors` (the whole run's, less those the first part reported)
 * go with the entry whose fields they are under; any other error with the last entry.
 */
export function incrementalItems(fragments: DeferredFragment[], data: JsonObject | null, errors: GraphQLError[]): IncrementalItem[] {
  const items: IncrementalItem[] = [];
  for (const fragment of fragments) {
    for (const { value, path } of locate(data, fragment.path)) {
      const picked: JsonObject = {};
      for (const key of fragment.keys) if (Object.hasOwn(value, key)) picked[key] = value[key];
      // None of its fields there: the fragment's type condition does not match this object.
      if (Object.keys(picked).length === 0) continue;
      items.push({ data: picked, path, ...(fragment.label !== undefined ? { label: fragment.label } : {}) });
    }
  }
  for (const error of errors) {
    const owner = owningItem(items, error.path) ?? items[items.length - 1];
    if (owner) (owner.errors ??= []).push(error);
    // A deferred field's error nulled more than its fragment: the entry says so with null data.
    else items.push({ data: null, path: fragments[0]?.path ?? [], errors: [error], ...(fragments[0]?.label !== undefined ? { label: fragments[0].label } : {}) });
  }
  return items;
}

/** The entry an error at `path` belongs to: the one whose place and one of whose fields start that path. */
function owningItem(items: IncrementalItem[], path: readonly (string | number)[] | undefined): IncrementalItem | undefined {
  if (!path) return undefined;
  let best: IncrementalItem | undefined;
  for (const item of items) {
    if (item.path.length >= path.length || !item.path.every((segment, index) => segment === path[index])) continue;
    if (!item.data || !Object.hasOwn(item.data, String(path[item.path.length]))) continue;
    if (!best || item.path.length > best.path.length) best = item;
  }
  return best;
}

function locate(data: unknown, path: string[]): Array<{ value: JsonObject; path: Array<string | number> }> {
  const found: Array<{ value: JsonObject; path: Array<string | number> }> = [];
  const walk = (value: unknown, depth: number, at: Array<string | number>) => {
    if (Array.isArray(value)) {
      value.forEach((element, index) => walk(element, depth, [...at, index]));
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (depth === path.length) {
      found.push({ value: value as JsonObject, path: at });
      return;
    }
    const key = path[depth]!;
    walk((value as JsonObject)[key], depth + 1, [...at, key]);
  };
  walk(data, 0, []);
  return found;
}

function responseKey(field: FieldNode): string {
  return field.alias?.value ?? field.name.value;
}

function operationOf(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode | undefined {
  return document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION && (operationName === undefined || definition.name?.value === operationName),
  );
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}

function selectionSetOf(selection: DeferrableNode, fragments: Map<string, FragmentDefinitionNode>): SelectionSetNode | undefined {
  return selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)?.selectionSet;
}

function collectKeys(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, visiting = new Set<string>()): string[] {
  const keys: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      keys.push(responseKey(selection));
      continue;
    }
    // A nested deferred fragment's fields come in an entry of their own too; kept here as well,
    // since whether it is deferred can depend on the request's variables.
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      if (visiting.has(selection.name.value)) continue;
      const inner = fragments.get(selection.name.value)?.selectionSet;
      if (inner) keys.push(...collectKeys(inner, fragments, new Set([...visiting, selection.name.value])));
      continue;
    }
    keys.push(...collectKeys(selection.selectionSet, fragments, visiting));
  }
  return keys;
}

function withoutUnusedFragments(document: DocumentNode): DocumentNode {
  let current = document;
  for (;;) {
    const spread = new Set<string>();
    visit(current, { FragmentSpread: (node) => void spread.add(node.name.value) });
    const definitions = current.definitions.filter((definition) => definition.kind !== Kind.FRAGMENT_DEFINITION || spread.has(definition.name.value));
    if (definitions.length === current.definitions.length) return current;
    current = { ...current, definitions };
  }
}

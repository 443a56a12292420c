import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import { GraphQLError } from 'graphql';

/** How deep JSON and input values in variables may nest (objects and lists), unless configured otherwise. */
export const DEFAULT_MAX_VARIABLES_DEPTH = 32;

// Node ≥ 20 has String.prototype.isWellFormed (ES2024); our lib setting is ES2023.
const isWellFormed = (String.prototype as unknown as { isWellFormed: (this: string) => boolean }).isWellFormed;

/**
 * Text no database or protocol downstream accepts: a lone UTF-16 surrogate (not encodable as
 * UTF-8) or a NUL byte (PostgreSQL refuses it in text and jsonb).
 */
export function isUnstorableText(text: string): boolean {
  return !isWellFormed.call(text) || text.includes('\0');
}

function badArgument(message: string, field: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', field, ...extensions, http: { status: 400 } } });
}

const unstorable = (field: string) => badArgument(`${field} contains a NUL character or a lone UTF-16 surrogate`, field);

/** One value met while walking a variable; the path is built only when it is reported. */
interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number;
}

function pathOf(frame: Frame): string {
  let path = '';
  for (let f: Frame | undefined = frame; f; f = f.parent) {
    path = f.parent === undefined ? `${f.key}${path}` : typeof f.key === 'number' ? `[${f.key}]${path}` : `.${f.key}${path}`;
  }
  return path;
}

/**
 * Walks one variable's value without recursion (a value nested 10,000 deep must not overflow the
 * stack): refuses nesting over `maxDepth` and unstorable text in any string or object key.
 * Only strings are scanned; numbers, booleans and nulls cost a type check.
 */
function checkVariableValue(value: unknown, field: string, maxDepth: number): GraphQLError | undefined {
  const stack: Frame[] = [{ value, depth: 0, parent: undefined, key: field }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    const current = frame.value;
    if (typeof current === 'string') {
      if (isUnstorableText(current)) return unstorable(pathOf(frame));
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const depth = frame.depth + 1;
    if (depth > maxDepth) {
      return badArgument(`${field} nests deeper than ${maxDepth} levels`, field, { limit: 'variablesDepth', max: maxDepth });
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], depth, parent: frame, key: i });
      continue;
    }
    for (const key of Object.keys(current)) {
      if (isUnstorableText(key)) return badArgument(`A key in ${pathOf(frame)} contains a NUL character or a lone UTF-16 surrogate`, pathOf(frame));
      stack.push({ value: (current as Record<string, unknown>)[key], depth, parent: frame, key });
    }
  }
  return undefined;
}

/**
 * Checks every argument value of an operation before anything else reads it: inline string
 * literals and variables (found by walking where the operation uses them, so `extensions.field`
 * names the argument path, e.g. `settings.theme` or `query`). A variable the operation declares
 * but passes to no field argument is named `$name`. Without an operation (the document did not
 * parse), each variable is checked under its own name.
 */
export function checkArgumentValues(
  document: DocumentNode | undefined,
  operation: OperationDefinitionNode | undefined,
  variables: Record<string, unknown> | undefined,
  maxDepth = DEFAULT_MAX_VARIABLES_DEPTH,
): GraphQLError | undefined {
  if (!operation) {
    for (const [name, value] of Object.entries(variables ?? {})) {
      const error = checkVariableValue(value, name, maxDepth);
      if (error) return error;
    }
    return undefined;
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document?.definitions ?? []) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const variablePaths = new Map<string, string>();
  let literalError: GraphQLError | undefined;

  const visitValue = (node: ValueNode, path: string): void => {
    if (literalError) return;
    switch (node.kind) {
      case Kind.STRING:
        if (isUnstorableText(node.value)) literalError = unstorable(path);
        return;
      case Kind.VARIABLE:
        if (!variablePaths.has(node.name.value)) variablePaths.set(node.name.value, path);
        return;
      case Kind.LIST:
        node.values.forEach((item, i) => visitValue(item, `${path}[${i}]`));
        return;
      case Kind.OBJECT:
        for (const field of node.fields) visitValue(field.value, `${path}.${field.name.value}`);
        return;
      default:
        return;
    }
  };
  const visitedFragments = new Set<string>();
  const visitSelections = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        for (const argument of selection.arguments ?? []) visitValue(argument.value, argument.name.value);
        if (selection.selectionSet) visitSelections(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visitSelections(selection.selectionSet);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || visitedFragments.has(fragment.name.value)) continue;
        visitedFragments.add(fragment.name.value);
        visitSelections(fragment.selectionSet);
      }
    }
  };
  visitSelections(operation.selectionSet);
  if (literalError) return literalError;

  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (!variables || !(name in variables)) continue;
    const error = checkVariableValue(variables[name], variablePaths.get(name) ?? `$${name}`, maxDepth);
    if (error) return error;
  }
  return undefined;
}

import {
  GraphQLError,
  Kind,
  executeSync,
  getNamedType,
  isAbstractType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { ErrorCode } from '@voiceassist/errors';
import type { JsonObject } from './executor.js';

/** `@skip(if:)` / `@include(if:)`: a literal or the client's variable. */
type Flag = boolean | { variable: string };
interface Conditions {
  skip?: Flag;
  include?: Flag;
}

type CompiledType =
  | { kind: 'nonNull'; of: CompiledType }
  | { kind: 'list'; of: CompiledType }
  | { kind: 'leaf'; valid: (value: unknown) => boolean }
  | { kind: 'composite'; typeName: string; selections: Step[] };

type Step =
  | { kind: 'field'; responseName: string; fieldName: string; parentTypeName: string; conditions: Conditions | undefined; type: CompiledType }
  | { kind: 'typename'; responseName: string; parentTypeName: string; parentIsObject: boolean; conditions: Conditions | undefined }
  | { kind: 'introspection'; responseName: string; conditions: Conditions | undefined }
  | { kind: 'fragment'; runtimeTypes: Set<string> | undefined; conditions: Conditions | undefined; selections: Step[] };

/**
 * Writes exactly the client's selection from the merged subgraph answers: aliases, fragments
 * (on abstract types by `__typename`), `@skip`/`@include`, leaf values checked against their
 * types, and null propagation of non-null fields with one error per field that went null, as
 * GraphQL execution would, without running graphql-js execution over the data.
 * Compiled once per operation and cached with its plan.
 */
export class Projection {
  private constructor(
    private readonly schema: GraphQLSchema,
    private readonly rootTypeName: string,
    private readonly selections: Step[],
    /** The operation with its fragments, for answering introspection fields with graphql-js. */
    private readonly introspectionDocument: DocumentNode | undefined,
  ) {}

  static compile(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): Projection {
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationName === undefined || d.name?.value === operationName),
    );
    if (!operation) throw new GraphQLError(`Unknown operation ${operationName ?? ''}`.trim());
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    const root = schema.getRootType(operation.operation);
    if (!root) throw new GraphQLError(`The schema has no ${operation.operation} type`);
    const compiler = new Compiler(schema, fragments);
    const selections = compiler.selectionSet(operation.selectionSet, root);
    const introspectionDocument = compiler.usesIntrospection
      ? { kind: Kind.DOCUMENT, definitions: [operation, ...fragments.values()] } satisfies DocumentNode
      : undefined;
    return new Projection(schema, root.name, selections, introspectionDocument);
  }

  /**
   * The client's `data` from the merged answers; `errors` holds the subgraphs' errors already
   * and gains those of values that could not be completed.
   */
  apply(input: JsonObject, variables: JsonObject, errors: GraphQLError[]): JsonObject | null {
    const introspection = this.introspectionDocument ? this.introspect(variables) : undefined;
    const run = new ProjectionRun(this.schema, variables, errors, introspection, errors.length > 0);
    const data: JsonObject = {};
    return run.selectionSet(this.selections, input, data, [], this.rootTypeName) ? data : null;
  }

  private introspect(variables: JsonObject): JsonObject {
    // Non-introspection root fields resolve to nothing here; only the introspection ones are read.
    const result = executeSync({ schema: this.schema, document: this.introspectionDocument!, rootValue: {}, variableValues: variables });
    return (result.data ?? {}) as JsonObject;
  }
}

class Compiler {
  usesIntrospection = false;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
  ) {}

  selectionSet(selectionSet: SelectionSetNode, parentType: GraphQLCompositeType): Step[] {
    const steps: Step[] = [];
    for (const selection of selectionSet.selections) {
      const conditions = conditionsOf(selection.directives);
      if (selection.kind === Kind.FIELD) {
        steps.push(this.field(selection, parentType, conditions));
        continue;
      }
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? this.fragments.get(selection.name.value) : selection;
      if (!fragment) throw new GraphQLError(`Unknown fragment ${selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : ''}`);
      const typeCondition = fragment.typeCondition ? (this.schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined) : parentType;
      if (!typeCondition) throw new GraphQLError(`Unknown type ${fragment.typeCondition?.name.value ?? ''}`);
      steps.push({
        kind: 'fragment',
        runtimeTypes: typeCondition === parentType && isObjectType(parentType) ? undefined : this.runtimeTypes(typeCondition),
        conditions,
        selections: this.selectionSet(fragment.selectionSet, typeCondition),
      });
    }
    return steps;
  }

  /** The object types (and the abstract type itself, for objects typed by an interface object) a condition matches. */
  private runtimeTypes(type: GraphQLCompositeType): Set<string> {
    const names = new Set([type.name]);
    if (isAbstractType(type)) for (const possible of this.schema.getPossibleTypes(type)) names.add(possible.name);
    return names;
  }

  private field(node: FieldNode, parentType: GraphQLCompositeType, conditions: Conditions | undefined): Step {
    const responseName = node.alias?.value ?? node.name.value;
    const fieldName = node.name.value;
    if (fieldName === '__typename') return { kind: 'typename', responseName, parentTypeName: parentType.name, parentIsObject: isObjectType(parentType), conditions };
    if (fieldName === '__schema' || fieldName === '__type') {
      this.usesIntrospection = true;
      return { kind: 'introspection', responseName, conditions };
    }
    if (isAbstractType(parentType) && !('getFields' in parentType)) throw new GraphQLError(`Cannot query field "${fieldName}" on type "${parentType.name}"`);
    const definition = (parentType as GraphQLObjectType).getFields()[fieldName];
    if (!definition) throw new GraphQLError(`Cannot query field "${fieldName}" on type "${parentType.name}"`);
    return { kind: 'field', responseName, fieldName, parentTypeName: parentType.name, conditions, type: this.type(definition.type, node) };
  }

  private type(type: GraphQLOutputType, node: FieldNode): CompiledType {
    if (isNonNullType(type)) return { kind: 'nonNull', of: this.type(type.ofType, node) };
    if (isListType(type)) return { kind: 'list', of: this.type(type.ofType, node) };
    if (isScalarType(type) || isEnumType(type)) return { kind: 'leaf', valid: leafValidator(type) };
    const named = getNamedType(type) as GraphQLCompositeType;
    return { kind: 'composite', typeName: named.name, selections: node.selectionSet ? this.selectionSet(node.selectionSet, named) : [] };
  }
}

const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

/** Which values a leaf type accepts from a subgraph (as Apollo's gateway checks them). */
function leafValidator(type: GraphQLOutputType): (value: unknown) => boolean {
  if (isEnumType(type)) {
    const values = new Set(type.getValues().map((v) => v.name));
    return (value) => typeof value === 'string' && values.has(value);
  }
  switch ((type as { name: string }).name) {
    case 'Boolean':
      return (value) => typeof value === 'boolean';
    case 'Int':
      return (value) => typeof value === 'number' && Number.isFinite(value) && INTEGER.test(String(value));
    case 'ID':
      return (value) => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value) && INTEGER.test(String(value)));
    case 'Float':
      return (value) => typeof value === 'number' && Number.isFinite(value);
    case 'String':
      return (value) => typeof value === 'string';
    default:
      return () => true;
  }
}

function flag(value: ValueNode | undefined): Flag | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.BOOLEAN) return value.value;
  if (value.kind === Kind.VARIABLE) return { variable: value.name.value };
  return undefined;
}

function conditionsOf(directives: FieldNode['directives']): Conditions | undefined {
  if (!directives?.length) return undefined;
  let conditions: Conditions | undefined;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const value = flag(directive.arguments?.find((a) => a.name.value === 'if')?.value);
    if (value !== undefined) (conditions ??= {})[name] = value;
  }
  return conditions;
}

interface Completed {
  value: unknown;
  /** The value is null where the type forbids it: the parent goes null too. */
  invalid?: boolean;
  /** An error was recorded for this value or below it. */
  errored?: boolean;
}

class ProjectionRun {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly variables: JsonObject,
    private readonly errors: GraphQLError[],
    private readonly introspection: JsonObject | undefined,
    /**
     * A subgraph reported errors: the nulls they caused are explained by them (a subgraph that
     * fails a non-null root field nulls every field of its answer, not only the one in its path).
     */
    private readonly subgraphsFailed: boolean,
  ) {}

  private holds(value: Flag): boolean {
    return typeof value === 'boolean' ? value : this.variables[value.variable] === true;
  }

  private excluded(conditions: Conditions | undefined): boolean {
    if (!conditions) return false;
    if (conditions.skip !== undefined && this.holds(conditions.skip)) return true;
    return conditions.include !== undefined && !this.holds(conditions.include);
  }

  /** Writes `steps` from `input` into `output`; false when a non-null field went null (the object goes null). */
  selectionSet(steps: Step[], input: JsonObject, output: JsonObject, path: Array<string | number>, typeName: string): boolean {
    for (const step of steps) {
      if (this.excluded(step.conditions)) continue;
      switch (step.kind) {
        case 'fragment': {
          if (step.runtimeTypes && !step.runtimeTypes.has(typeName)) continue;
          if (!this.selectionSet(step.selections, input, output, path, typeName)) return false;
          continue;
        }
        case 'typename': {
          if (output[step.responseName] !== undefined) continue;
          const aliased = input[step.responseName];
          const typename = typeof aliased === 'string' ? aliased : typeName;
          output[step.responseName] = typename;
          continue;
        }
        case 'introspection':
          output[step.responseName] = this.introspection?.[step.responseName] ?? null;
          continue;
        case 'field': {
          path.push(step.responseName);
          const completed = this.complete(step.type, input[step.responseName], output[step.responseName], path, step);
          path.pop();
          output[step.responseName] = completed.value;
          if (completed.invalid) return false;
        }
      }
    }
    return true;
  }

  private complete(type: CompiledType, input: unknown, existing: unknown, path: Array<string | number>, field: Extract<Step, { kind: 'field' }>): Completed {
    if (type.kind === 'nonNull') {
      const inner = this.complete(type.of, input, existing, path, field);
      if (inner.value !== null) return inner;
      if (!inner.errored && !this.subgraphsFailed && !this.hasErrorAt(path)) {
        const at = typeof path[path.length - 1] === 'number' ? `list item at ${path.join('.')}` : `field ${field.parentTypeName}.${field.fieldName}`;
        this.errors.push(new GraphQLError(`Cannot return null for non-nullable ${at}.`, { path: [...path], extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }));
      }
      return { value: null, invalid: true, errored: true };
    }
    if (existing === null || input === null || input === undefined) return { value: null };
    if (type.kind === 'leaf') {
      if (existing !== undefined) return { value: existing };
      if (type.valid(input)) return { value: input };
      return this.invalidValue(path, field);
    }
    if (type.kind === 'list') {
      if (!Array.isArray(input)) return this.invalidValue(path, field);
      const previous = Array.isArray(existing) ? existing : undefined;
      const output = new Array<unknown>(input.length);
      let errored = false;
      for (let index = 0; index < input.length; index++) {
        path.push(index);
        const element = this.complete(type.of, input[index], previous?.[index], path, field);
        path.pop();
        if (element.invalid) return { value: null, errored: true };
        errored ||= !!element.errored;
        output[index] = element.value;
      }
      return { value: output, errored };
    }
    if (typeof input !== 'object' || Array.isArray(input)) return this.invalidValue(path, field);
    const object = input as JsonObject;
    const typename = object.__typename;
    let runtimeType = type.typeName;
    if (typeof typename === 'string' && typename !== runtimeType) {
      if (!this.schema.getType(typename)) return this.invalidValue(path, field);
      runtimeType = typename;
    }
    const output = (existing as JsonObject | undefined) ?? {};
    return this.selectionSet(type.selections, object, output, path, runtimeType) ? { value: output } : { value: null, errored: true };
  }

  private invalidValue(path: Array<string | number>, field: Extract<Step, { kind: 'field' }>): Completed {
    this.errors.push(
      new GraphQLError(`Invalid value found for field ${field.parentTypeName}.${field.fieldName}.`, { path: [...path], extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }),
    );
    return { value: null, errored: true };
  }

  /** An error was already reported at this value or below it. */
  private hasErrorAt(path: Array<string | number>): boolean {
    return this.errors.some((error) => {
      const at = error.path;
      if (!at) return false;
      if (at.length < path.length) return false;
      for (let i = 0; i < path.length; i++) if (at[i] !== path[i]) return false;
      return true;
    });
  }
}

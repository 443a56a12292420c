import { createRequire } from 'node:module';
import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner as ApolloQueryPlanner } from '@apollo/query-planner';
import type * as Hive from '@graphql-hive/router-query-planner';
import { Kind, print, visit, type DirectiveNode, type DocumentNode, type FieldNode } from 'graphql';
import type { Logger } from '@voiceassist/logging';
import { UnsupportedPlanError, fromApolloPlan, fromHivePlan, type PlanNode } from './plan.js';

export const QUERY_PLANNERS = ['hive', 'apollo'] as const;
export type QueryPlannerName = (typeof QUERY_PLANNERS)[number];

export interface EnginePlanner {
  /** The planner in use: Apollo's when Hive's was asked for but its native binary did not load. */
  readonly name: QueryPlannerName;
  /** Why Hive's planner is not in use although it was asked for. */
  readonly fallbackReason: string | undefined;
  /** The plan of one operation of the document; undefined when nothing needs fetching (only `__typename`/introspection). */
  plan(source: string, document: DocumentNode, operationName: string | undefined): PlanNode | undefined;
}

type HiveModule = typeof Hive;

/** Hive's planner ships as a native addon; loading it throws where no binary fits the platform. */
export function loadHivePlanner(): HiveModule {
  return createRequire(import.meta.url)('@graphql-hive/router-query-planner') as HiveModule;
}

function apolloPlanner(supergraphSdl: string): EnginePlanner['plan'] {
  const supergraph = Supergraph.build(supergraphSdl);
  const apiSchema: Schema = supergraph.apiSchema();
  const planner = new ApolloQueryPlanner(supergraph);
  return (_source, document, operationName) => {
    const operation = operationFromDocument(apiSchema, document, operationName ? { operationName } : {});
    const node = planner.buildQueryPlan(operation).node;
    return node && fromApolloPlan(node);
  };
}

export function createEnginePlanner(options: {
  wanted: QueryPlannerName;
  supergraphSdl: string;
  logger: Logger;
  /** Where Hive's planner comes from (tests stand in for a platform without its binary). */
  loadHive?: () => HiveModule;
}): EnginePlanner {
  const { wanted, supergraphSdl, logger } = options;
  if (wanted === 'apollo') return { name: 'apollo', fallbackReason: undefined, plan: apolloPlanner(supergraphSdl) };
  let hive: Hive.QueryPlanner;
  try {
    hive = new ((options.loadHive ?? loadHivePlanner)().QueryPlanner)(supergraphSdl);
  } catch (error) {
    const fallbackReason = `Hive's query planner did not load (${(error as Error).message.split('\n')[0]}); planning with Apollo's`;
    logger.warn({ err: error }, fallbackReason);
    return { name: 'apollo', fallbackReason, plan: apolloPlanner(supergraphSdl) };
  }
  const noLabels = new Set<string>();
  let apollo: EnginePlanner['plan'] | undefined;
  return {
    name: 'hive',
    fallbackReason: undefined,
    plan(source, document, operationName) {
      const planned = plannable(document, operationName);
      if (planned === null) return undefined;
      let node: Hive.PlanNode | undefined;
      try {
        node = hive.plan(planned ?? source, operationName ?? null, noLabels, 0).node;
      } catch (error) {
        // No subgraph can resolve a field from where the operation asks for it: the operation
        // fails as a whole (Apollo's planner plans nothing for it and answers null without an error).
        const unreachable = UNREACHABLE_FIELD.exec((error as Error).message)?.[1];
        if (unreachable) throw new UnsupportedPlanError(`No subgraph can resolve the field "${unreachable}" where the operation selects it`, unreachable);
        // Hive's planner fails on a few valid operations (e.g. some `@skip` on entity fields) that
        // Apollo's plans: those get Apollo's plan (cached like any other) instead of a failed request.
        logger.warn({ err: error, operationName }, "Hive's query planner could not plan an operation; planning it with Apollo's");
        apollo ??= apolloPlanner(supergraphSdl);
        return apollo(source, document, operationName);
      }
      return node && fromHivePlan(node);
    },
  };
}

/** Hive's planner's words for a selection no subgraph can reach (rather than a failure of its own). */
const UNREACHABLE_FIELD = /No paths found for selection item: (\w+)/;

const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/** `@include(if: false)` or `@skip(if: true)` written as literals: the selection never runs. */
function neverRuns(directives: readonly DirectiveNode[] | undefined): boolean {
  return (directives ?? []).some((directive) => {
    const condition = directive.arguments?.find((argument) => argument.name.value === 'if')?.value;
    if (condition?.kind !== Kind.BOOLEAN) return false;
    return (directive.name.value === 'include' && !condition.value) || (directive.name.value === 'skip' && condition.value);
  });
}

/**
 * What Hive's planner is given: the document without what it cannot plan, each replaced by
 * `__typename` so no selection set goes empty (the projection still follows the client's
 * document): `__schema`/`__type` (the projection answers them from the API schema), and
 * selections a literal `@include(if: false)`/`@skip(if: true)` excludes (Hive's planner fails to
 * build a plan when they are all a selection set holds). Undefined when nothing was pruned,
 * null when nothing but `__typename` is left at the root (nothing to fetch).
 */
function plannable(document: DocumentNode, operationName: string | undefined): string | null | undefined {
  let pruned = false;
  const replace = () => {
    pruned = true;
    return TYPENAME;
  };
  const result = visit(document, {
    Field: (field) => (field.name.value === '__schema' || field.name.value === '__type' || neverRuns(field.directives) ? replace() : undefined),
    InlineFragment: (fragment) => (neverRuns(fragment.directives) ? replace() : undefined),
    FragmentSpread: (spread) => (neverRuns(spread.directives) ? replace() : undefined),
  });
  if (!pruned) return undefined;
  const operation = result.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName));
  // Nothing left but `__typename` at the root: nothing to fetch (null).
  if (operation?.kind === Kind.OPERATION_DEFINITION && operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value === '__typename')) return null;
  return print(result);
}

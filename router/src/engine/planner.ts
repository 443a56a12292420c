import { createRequire } from 'node:module';
import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner as ApolloQueryPlanner } from '@apollo/query-planner';
import type * as Hive from '@graphql-hive/router-query-planner';
import { Kind, print, visit, type DocumentNode, type FieldNode } from 'graphql';
import type { Logger } from '@voiceassist/logging';
import { fromApolloPlan, fromHivePlan, type PlanNode } from './plan.js';

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
      let node: Hive.PlanNode | undefined;
      try {
        node = hive.plan(withoutIntrospection(document) ?? source, operationName ?? null, noLabels, 0).node;
      } catch (error) {
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

const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/**
 * Hive's planner cannot plan `__schema`/`__type` (the projection answers them from the API
 * schema): the document without them, each replaced by `__typename` so no selection set goes
 * empty; undefined when the document has none.
 */
function withoutIntrospection(document: DocumentNode): string | undefined {
  let found = false;
  const pruned = visit(document, {
    Field(field) {
      if (field.name.value !== '__schema' && field.name.value !== '__type') return undefined;
      found = true;
      return TYPENAME;
    },
  });
  return found ? print(pruned) : undefined;
}

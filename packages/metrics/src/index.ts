import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  /** Requests, errors by code and latency per operation. */
  graphqlPlugin<T extends BaseContext>(): ApolloServerPlugin<T>;
  render(): Promise<{ contentType: string; body: string }>;
}

/**
 * The `operation` label an operation is counted under. Clients choose operation names, so a
 * label is taken from a set the service knows and bounds, or is `other`: every label value is a
 * time series kept for the life of the process.
 */
export type OperationLabel = (operationName: string | undefined, operation: OperationDefinitionNode | undefined) => string;

/** Operations whose name is one of `names` (the router: the trusted-operations manifest) are counted by name. */
export function namedOperationLabel(names: Iterable<string>): OperationLabel {
  const known = new Set(names);
  return (operationName) => (operationName !== undefined && known.has(operationName) ? operationName : 'other');
}

/**
 * A subgraph knows its schema, not its clients' operations (the router names its fetches after
 * the client's operation): an operation is counted by its first root field, which validation
 * has checked is one of the schema's.
 */
export const rootFieldLabel: OperationLabel = (_operationName, operation) => {
  const first = operation?.selectionSet.selections[0];
  return first?.kind === 'Field' ? first.name.value : 'other';
};

/** One registry per service, so several services in one process never mix their numbers. */
export function createMetrics(service: string, operationLabel: OperationLabel): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'graphql_requests_total',
    help: 'GraphQL operations handled',
    labelNames: ['operation', 'type'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'graphql_errors_total',
    help: 'GraphQL errors returned, by code',
    labelNames: ['operation', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'graphql_request_duration_seconds',
    help: 'GraphQL operation latency',
    labelNames: ['operation', 'type'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    graphqlPlugin() {
      return {
        async requestDidStart() {
          const started = process.hrtime.bigint();
          return {
            async didEncounterErrors({ operationName, operation, errors: list }) {
              for (const error of list) {
                // Codes come from our registry, or Apollo's own few for malformed requests.
                const code = typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR';
                errors.inc({ operation: operationLabel(operationName ?? undefined, operation), code });
              }
            },
            async willSendResponse({ operationName, operation }) {
              const labels = { operation: operationLabel(operationName ?? undefined, operation), type: operation?.operation ?? 'unknown' };
              requests.inc(labels);
              duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
            },
          };
        },
      };
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** `dependency_up{dependency}`: 1 while a dependency the service can serve without is reachable, 0 while it is not. */
export function registerDependencyGauge(registry: Registry, dependencies: Record<string, { readonly up: boolean }>): void {
  new Gauge({
    name: 'dependency_up',
    help: 'Whether a dependency the service degrades without is reachable (1) or not (0)',
    labelNames: ['dependency'],
    registers: [registry],
    collect() {
      for (const [dependency, { up }] of Object.entries(dependencies)) this.set({ dependency }, up ? 1 : 0);
    },
  });
}

/**
 * What a service's LLM calls cost and how soon they answer: tokens by model and kind (prompt,
 * completion) and the time from a reply's start to its first token. Made before the service's
 * registry exists (its generator is built first): pass `metrics` to the server, which registers them.
 */
export function createLlmMetrics() {
  const tokens = new Counter({
    name: 'llm_tokens_total',
    help: 'LLM tokens spent, by model and kind (prompt, completion)',
    labelNames: ['model', 'kind'],
    registers: [],
  });
  const timeToFirstToken = new Histogram({
    name: 'llm_time_to_first_token_seconds',
    help: 'From a reply being asked for (knowledge search included) to its first token, by model',
    labelNames: ['model'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers: [],
  });
  return {
    metrics: [tokens, timeToFirstToken],
    spent(model: string, usage: { promptTokens: number; completionTokens: number }) {
      tokens.inc({ model, kind: 'prompt' }, usage.promptTokens);
      tokens.inc({ model, kind: 'completion' }, usage.completionTokens);
    },
    firstToken(model: string, seconds: number) {
      timeToFirstToken.observe({ model }, seconds);
    },
  };
}

export type LlmMetrics = ReturnType<typeof createLlmMetrics>;

/**
 * The audit chain's checks: every verification by result (intact, broken), and whether the last
 * one found the chain broken (1) or not (0), for an alert that holds until a check passes again.
 */
export function createAuditChainMetrics() {
  const verifications = new Counter({
    name: 'audit_chain_verifications_total',
    help: 'Audit chain verifications, by result (intact, broken)',
    labelNames: ['result'],
    registers: [],
  });
  const broken = new Gauge({
    name: 'audit_chain_broken',
    help: 'Whether the last audit chain verification found an entry edited or removed (1) or none (0)',
    registers: [],
  });
  broken.set(0);
  return {
    metrics: [verifications, broken],
    verified(intact: boolean) {
      verifications.inc({ result: intact ? 'intact' : 'broken' });
      broken.set(intact ? 0 : 1);
    },
  };
}

export type AuditChainMetrics = ReturnType<typeof createAuditChainMetrics>;

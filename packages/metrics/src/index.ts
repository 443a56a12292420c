import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

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

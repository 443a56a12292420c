import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  /** Requests, errors by code and latency per operation. */
  graphqlPlugin<T extends BaseContext>(): ApolloServerPlugin<T>;
  render(): Promise<{ contentType: string; body: string }>;
}

/** One registry per service, so several services in one process never mix their numbers. */
export function createMetrics(service: string): ServiceMetrics {
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
            async didEncounterErrors({ operationName, errors: list }) {
              for (const error of list) {
                const code = typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR';
                errors.inc({ operation: operationName ?? 'anonymous', code });
              }
            },
            async willSendResponse({ operationName, operation }) {
              const labels = { operation: operationName ?? 'anonymous', type: operation?.operation ?? 'unknown' };
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

import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Logger } from '@voiceassist/logging';
import { activeSpan, serviceTracer, startSpan } from '@voiceassist/tracing';

/** Logs one JSON line per operation: id, name, duration and error codes; never variables. */
export function operationLogPlugin<T extends { requestId: string; logger: Logger }>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart({ contextValue }) {
      const started = Date.now();
      return {
        async willSendResponse({ operationName, errors, operation }) {
          contextValue.logger.info(
            {
              operationName: operationName ?? null,
              operationType: operation?.operation ?? null,
              durationMs: Date.now() - started,
              errorCodes: errors?.map((e) => e.extensions?.code ?? 'INTERNAL_SERVER_ERROR') ?? [],
            },
            'graphql operation',
          );
        },
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            if (!code || code === 'INTERNAL_SERVER_ERROR') {
              contextValue.logger.error({ err: error.originalError ?? error, path: error.path }, 'unexpected error');
            }
          }
        },
      };
    },
  };
}

/**
 * Names the request's span after its operation (`mutation sendMessage`: type and name, never the
 * document or variables) and times parsing and validation in spans of their own.
 */
export function tracingPlugin<T extends BaseContext>(service: string): ApolloServerPlugin<T> {
  const tracer = serviceTracer(service);
  const phase = (name: string) => {
    const started = startSpan(tracer, name);
    return async (error?: unknown) => {
      if (!started) return;
      if (error) started.span.setStatus({ code: 2 });
      started.span.end();
    };
  };
  return {
    async requestDidStart() {
      const span = activeSpan();
      if (!span) return {};
      return {
        async parsingDidStart() {
          return phase('graphql.parse');
        },
        async validationDidStart() {
          const end = phase('graphql.validate');
          return async (errors?: readonly unknown[]) => end(errors?.length ? errors[0] : undefined);
        },
        async didResolveOperation({ operation, operationName }) {
          const type = operation?.operation ?? 'unknown';
          span.setAttribute('graphql.operation.type', type);
          if (operationName) span.setAttribute('graphql.operation.name', operationName);
          span.updateName(operationName ? `${type} ${operationName}` : type);
        },
      };
    },
  };
}

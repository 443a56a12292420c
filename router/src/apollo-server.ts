import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { FormattedExecutionResult } from 'graphql';
import { formatError } from '@voiceassist/errors';
import { operationLogPlugin, tracingPlugin } from '@voiceassist/operation-telemetry';
import type { ServiceMetrics } from '@voiceassist/metrics';
import type { RouterContext } from './context.js';
import { deferredPartsPlugin } from './engine/engine.js';
import type { RouterOptions } from './router-options.js';
import type { GatewayInterface } from './supergraph-reload.js';

export interface RouterApolloServerOptions {
  options: RouterOptions;
  httpServer: Server;
  /** The reloadable gateway: whichever supergraph is live. */
  gateway: GatewayInterface;
  metrics: ServiceMetrics;
  nativeEngine: boolean;
  allowBatchedHttpRequests: boolean;
}

/** Apollo Server over the router's gateway, with its plugins: metrics, operation log, tracing and @defer's later parts. */
export function createRouterApolloServer({ options, httpServer, gateway, metrics, nativeEngine, allowBatchedHttpRequests }: RouterApolloServerOptions): ApolloServer<RouterContext> {
  return new ApolloServer<RouterContext>({
    // closeOnSignals owns shutdown (see @voiceassist/subgraph-server).
    stopOnTerminationSignals: false,
    gateway,
    introspection: options.introspection ?? true,
    // Our edge does CSRF prevention (see edge.csrf): JSON-only POSTs, query-only GETs, and no
    // cookies. Apollo's variant also refuses plain GETs, which GraphQL over HTTP allows.
    csrfPrevention: false,
    allowBatchedHttpRequests,
    includeStacktraceInErrorResponses: options.includeStacktrace ?? false,
    formatError: (formatted) => formatError(formatted, { includeStacktrace: options.includeStacktrace ?? false }),
    stringifyResult: stringifyOnce,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // The landing page is the router's own (createLandingPage), served before Apollo sees the request.
      ApolloServerPluginLandingPageDisabled(),
      metrics.graphqlPlugin<RouterContext>(),
      operationLogPlugin<RouterContext>(),
      tracingPlugin<RouterContext>('router'),
      ...(nativeEngine ? [deferredPartsPlugin] : []),
    ],
  });
}

/**
 * Apollo Server's serialisation (JSON and a newline), done once per result: identical concurrent
 * queries deduplicated by the native engine share one `data` object, and each of their clients
 * would otherwise serialise it again. Only results without errors or extensions, whose bytes
 * depend on `data` alone.
 */
const serialisedData = new WeakMap<object, string>();
function stringifyOnce(result: FormattedExecutionResult): string {
  const { data } = result;
  if (result.errors !== undefined || result.extensions !== undefined || typeof data !== 'object' || data === null) return `${JSON.stringify(result)}\n`;
  let text = serialisedData.get(data);
  if (text === undefined) serialisedData.set(data, (text = `${JSON.stringify(result)}\n`));
  return text;
}


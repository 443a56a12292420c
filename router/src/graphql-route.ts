import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { viewerFromAuthorization } from '@voiceassist/auth';
import { formatError } from '@voiceassist/errors';
import { clientIp, type TrustProxy } from '@voiceassist/client-address';
import { sendJson } from '@voiceassist/http-io';
import { handleGraphQLRequest, type InspectResult } from '@voiceassist/graphql-over-http';
import { createConsoleSite } from './console-site.js';
import type { RouterContext } from './context.js';
import { applyCors } from './cors.js';
import { rateLimitRefusal, type EdgeOptions } from './edge/edge.js';
import { createLandingPage } from './landing-page.js';
import type { RouterOptions } from './router-options.js';
import type { LiveSupergraph } from './supergraph-loading.js';
import { httpStreamTransport } from './subscriptions/http-transports.js';
import type { SubscriptionServer } from './subscriptions/server.js';

export interface GraphQLRouteOptions {
  options: RouterOptions;
  supergraph: LiveSupergraph;
  apollo: ApolloServer<RouterContext>;
  started: Promise<unknown>;
  subscriptions: SubscriptionServer;
  edgeOptions: EdgeOptions;
  trustProxy: TrustProxy;
}

type Route = (req: IncomingMessage, res: ServerResponse, request: { url: URL; requestId: string }) => Promise<boolean>;

/**
 * The router's own routes, in order: security headers, the console, CORS, the landing page, then
 * GraphQL (token verified and rate-limited before planning; SSE and multipart streams to the
 * subscription server, everything else to Apollo Server).
 */
export function graphqlRoute({ options, supergraph, apollo, started, subscriptions, edgeOptions, trustProxy }: GraphQLRouteOptions): Route {
  const { logger, verifier } = options;
  const corsOrigins = new Set(options.corsOrigins ?? []);
  const serveConsole = options.consoleDir ? createConsoleSite(options.consoleDir) : undefined;
  const serveLandingPage = options.landingPage === false ? undefined : createLandingPage(options.consoleDir);
  const bodyLimitBytes = options.bodyLimitBytes ?? 1_000_000;
  return async (req, res, { url, requestId }) => {
    const path = url.pathname;
    const edge = supergraph.live.edge;
    edge.securityHeaders(req, res);
    if (serveConsole?.(req, res, path)) return true;
    if (applyCors(req, res, corsOrigins)) return true;
    if (path !== '/graphql' && path !== '/') return false;
    if (serveLandingPage?.(req, res, url)) return true;
    await started;
    const refuse = (result: Extract<InspectResult, { ok: false }>) => {
      sendJson(res, result.status, { errors: [result.error] }, result.headers ?? {});
      return true;
    };
    const csrf = edge.csrf(req);
    if (!csrf.ok) return refuse(csrf);
    const authorization = req.headers.authorization;
    let viewer;
    try {
      viewer = await viewerFromAuthorization(authorization, verifier);
    } catch (error) {
      // Refused before planning: no subgraph sees a bad token.
      if (error instanceof GraphQLError) return refuse({ ok: false, status: 401, error: formatError(error.toJSON()) });
      throw error;
    }
    const ip = clientIp(req, trustProxy);
    const isGraphQLOperation = req.method === 'POST' || url.searchParams.size > 0;
    if (isGraphQLOperation) {
      const limited = await edge.rateLimit(viewer ? `user:${viewer.userId}` : `ip:${ip ?? 'unknown'}`);
      if (limited) return refuse(rateLimitRefusal(limited));
    }
    const userAgent = typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined;
    const streamTransport = isGraphQLOperation ? httpStreamTransport(req) : undefined;
    if (streamTransport) {
      // Subscriptions (and any operation) over SSE or multipart: graphql-ws's execution path.
      await subscriptions.serveHttpStream(req, res, streamTransport, { viewer, authorization, ip, userAgent, requestId }, bodyLimitBytes);
      return true;
    }
    const context: RouterContext = {
      requestId,
      authorization,
      viewer,
      ip,
      userAgent,
      logger: logger.child({ requestId, ...(viewer ? { userId: viewer.userId } : {}) }),
    };
    await handleGraphQLRequest(req, res, {
      server: apollo,
      bodyLimitBytes,
      inspect: (operation) => edge.inspect(operation),
      maxBatchSize: edgeOptions.maxBatchSize,
      compress: edgeOptions.compress,
      context: async () => context,
    });
    return true;
  };
}

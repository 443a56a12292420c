import type { IncomingMessage, ServerResponse } from 'node:http';
import { type GraphQLError, type GraphQLSchema } from 'graphql';
import { formatError, rateLimited } from '@voiceassist/errors';
import { checkArgumentValues, DEFAULT_MAX_VARIABLES_DEPTH } from '@voiceassist/argument-checks';
import { subscriptionNeedsStream, type InspectResult, type OperationRequest } from '@voiceassist/graphql-over-http';
import type { Logger } from '@voiceassist/logging';
import type { RateLimiter } from '@voiceassist/rate-limit';
import { createOperationGuard, type CheckedOperation, type OperationLimits } from './operation-limits.js';
import type { TrustedOperations } from './trusted-operations.js';

export interface RateLimits {
  limiter: RateLimiter;
  /** Operations per user (per IP when anonymous) per minute; 0 turns the limit off. */
  perClientPerMinute: number;
  /** Operations per minute across all clients (of every router sharing the limiter). */
  globalPerMinute: number;
}

export interface EdgeOptions {
  /** Operation limits; undefined turns the checks off (benchmarks measure their cost). */
  limits: OperationLimits | undefined;
  rateLimits?: RateLimits | undefined;
  trustedOperations?: TrustedOperations | undefined;
  /** Operations per batched HTTP request; 0 refuses batches. */
  maxBatchSize: number;
  /** Strict-Transport-Security on responses (when served behind TLS). */
  hsts: boolean;
  compress: boolean;
  /** How deep JSON and input values in variables may nest (ROUTER_MAX_VARIABLES_DEPTH). */
  maxVariablesDepth?: number | undefined;
}

/**
 * How the operation's result travels: one response (plain HTTP POST/GET) or a stream of them
 * (graphql-ws, GraphQL over SSE, Apollo multipart). Only a stream can carry a subscription.
 */
export type ResultTransport = 'single-response' | 'streaming';


export const DEFAULT_LIMITS: OperationLimits = {
  maxDepth: 15,
  maxAliases: 30,
  maxRootFields: 20,
  maxTokens: 5_000,
  maxDirectives: 50,
  maxCost: 10_000,
  defaultListSize: 10,
};

const WINDOW_MS = 60_000;
const SIMPLE_CONTENT_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/**
 * Everything the router refuses cheaply at the edge, before planning: simple cross-site
 * requests, over-limit operations, untrusted operations (safelist mode) and over-rate clients.
 * Shared by HTTP and graphql-ws.
 */
export function createEdge(options: EdgeOptions, schema: GraphQLSchema, logger: Logger) {
  const guard = options.limits ? createOperationGuard(schema, options.limits) : undefined;

  const edge = {
    options,
    securityHeaders(req: IncomingMessage, res: ServerResponse) {
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('x-frame-options', 'DENY');
      res.setHeader('referrer-policy', 'no-referrer');
      if (options.hsts || req.headers['x-forwarded-proto'] === 'https') res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
    },

    /**
     * CSRF: a browser sends a cross-site POST without a preflight only with a "simple" content
     * type; GraphQL needs JSON, so those are refused. GETs run queries only (no mutations) and
     * carry no ambient credentials (tokens travel in Authorization, never cookies).
     */
    csrf(req: IncomingMessage): InspectResult {
      if (req.method !== 'POST') return { ok: true };
      const contentType = (req.headers['content-type'] ?? '').toLowerCase();
      if (!contentType || SIMPLE_CONTENT_TYPES.some((t) => contentType.startsWith(t))) {
        return {
          ok: false,
          status: 415,
          error: { message: 'POST requests must have content-type application/json', extensions: { code: 'BAD_USER_INPUT', field: 'content-type' } },
        };
      }
      return { ok: true };
    },

    /** Counts one operation for a client; returns the refusal when over a limit. */
    async rateLimit(clientKey: string): Promise<GraphQLError | undefined> {
      const limits = options.rateLimits;
      if (!limits) return undefined;
      const checks: Array<[string, number]> = [];
      if (limits.perClientPerMinute > 0) checks.push([`client:${clientKey}`, limits.perClientPerMinute]);
      if (limits.globalPerMinute > 0) checks.push(['global', limits.globalPerMinute]);
      for (const [key, limit] of checks) {
        const result = await limits.limiter.hit(`router:${key}`, limit, WINDOW_MS);
        if (!result.allowed) return rateLimited(result.retryAfterMs / 1000);
      }
      return undefined;
    },

    /**
     * Trusted operations, then limits, then argument values (depth, unstorable text), for one
     * operation, before any planning; may resolve a document id to its text. A subscription
     * needs a streaming transport.
     */
    inspect(operation: OperationRequest, transport: ResultTransport = 'single-response'): InspectResult {
      let query = operation.query;
      let replaced: string | undefined;
      if (options.trustedOperations) {
        const verdict = options.trustedOperations.verdict({ query, documentId: operation.documentId, persistedQuery: operation.persistedQuery });
        if (!verdict.allowed) return refusal(verdict.error);
        if (verdict.query !== query) replaced = query = verdict.query;
        if (verdict.untrusted && options.trustedOperations.mode === 'log') {
          logger.warn({ operationName: operation.operationName ?? null }, 'untrusted operation');
        }
      }
      let checked: CheckedOperation | undefined;
      if (query && guard) {
        const result = guard.check(query, operation.operationName, operation.variables ?? {});
        if ('error' in result) return refusal(result.error);
        if ('checked' in result) checked = result.checked;
      }
      if (checked?.operation?.operation === 'subscription' && transport !== 'streaming') return refusal(subscriptionNeedsStream());
      const argumentError = checkArgumentValues(checked?.document, checked?.operation, operation.variables, options.maxVariablesDepth ?? DEFAULT_MAX_VARIABLES_DEPTH);
      if (argumentError) return refusal(argumentError);
      return { ok: true, query: replaced };
    },
  };
  return edge;
}

export type Edge = ReturnType<typeof createEdge>;

function refusal(error: GraphQLError): Extract<InspectResult, { ok: false }> {
  const status = (error.extensions.http as { status?: number } | undefined)?.status ?? 400;
  // As Apollo Server: the answer to an unknown hash must not be cached, the next try registers it.
  const headers = error.extensions.code === 'PERSISTED_QUERY_NOT_FOUND' ? { 'cache-control': 'private, no-cache, must-revalidate' } : undefined;
  return { ok: false, status, error: formatError(error.toJSON()), ...(headers ? { headers } : {}) };
}

export function rateLimitRefusal(error: GraphQLError): Extract<InspectResult, { ok: false }> {
  const retryAfter = String(error.extensions.retryAfterSeconds ?? 1);
  return { ok: false, status: 429, error: formatError(error.toJSON()), headers: { 'retry-after': retryAfter } };
}

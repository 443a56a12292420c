import type { Server } from 'node:http';
import type { GraphQLDataSource } from '@apollo/gateway';
import { GraphQLError, type ExecutionArgs, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { AccessTokenVerifier, SessionRevocations, Viewer } from '@voiceassist/auth';
import { formatError } from '@voiceassist/errors';
import type { TrustProxy } from '@voiceassist/client-address';
import type { OperationRequest } from '@voiceassist/graphql-over-http';
import type { Logger } from '@voiceassist/logging';
import type { Registry } from '@voiceassist/metrics';
import type { TraceContext } from '@voiceassist/tracing';
import type { RouterContext } from '../context.js';
import type { Edge } from '../edge/edge.js';
import type { QueryEngine } from '../engine/engine.js';
import type { ActiveSubscription } from './active-subscription.js';
import type { SubscriptionPlanner } from './planner.js';
import type { UpstreamPool } from './upstream.js';

// The subscription server's shared types: each concern (connections, caps, metrics, documents,
// event resolution, stream sharing, the two transports) is a module of its own that uses them.

export interface SubscriptionLimits {
  /** Open subscriptions per user (per IP when anonymous) on this router. */
  maxPerUser: number;
  /** Open subscriptions on this router. */
  maxTotal: number;
  /** Events waiting for one slow connection before it is closed. */
  maxBufferedEvents: number;
}

export interface SubscriptionServerOptions {
  httpServer: Server;
  path: string;
  /** Read per use: a supergraph reload replaces it (subscriptions already open keep their plans). */
  planner: SubscriptionPlanner;
  /** The same limits, trusted operations and rate limits as HTTP. */
  edge: Edge;
  pool: UpstreamPool;
  dataSources: Record<string, GraphQLDataSource>;
  /** The router's own engine resolves each event's `rest` (ROUTER_ENGINE=native); Apollo Gateway's executor otherwise. */
  resolveEvent?: QueryEngine['resolveEvent'];
  /** Runs queries and mutations sent over the socket through the ordinary gateway pipeline. */
  executeOperation(request: { query: string; variables: Record<string, unknown> | undefined; operationName: string | undefined }, context: RouterContext): Promise<FormattedExecutionResult>;
  verifier: AccessTokenVerifier;
  revocations: SessionRevocations;
  logger: Logger;
  registry: Registry;
  limits: SubscriptionLimits;
  includeStacktrace: boolean;
  /** Proxies allowed to name the client in the upgrade request's X-Forwarded-For. */
  trustProxy: TrustProxy;
  /**
   * Root fields whose identical subscriptions (same operation, variables and credentials) may
   * share one upstream stream. Only for pure live streams: a field that replays history or
   * starts with a snapshot must give every subscriber its own stream.
   */
  sharedFields?: ReadonlySet<string>;
  /** How often a quiet GraphQL over SSE stream gets a keep-alive comment; the format's (12 s) unless given. */
  sseKeepAliveMs?: number;
}

/** graphql-ws's code for a refused connection. */
export const CLOSE_UNAUTHORIZED = 4401;
/** Our code for a client that reads too slowly to keep up with its subscriptions. */
export const CLOSE_SLOW_CONSUMER = 4408;

/** Who opened a connection: from graphql-ws's connection_init or an HTTP request's headers. */
export interface Caller {
  viewer: Viewer | null;
  authorization: string | undefined;
  ip: string | undefined;
  userAgent: string | undefined;
  requestId: string;
}

/** A client's link to the router: a graphql-ws socket, or one SSE or multipart response. */
export interface Connection extends Caller {
  /** Writes a message; `written` is called once it has left for the client. */
  write(message: string, written: () => void): void;
  /** Drops a client that stopped reading (after the subscriptions have been released). */
  drop(): void;
  limitKey: string;
  subscriptions: Set<ActiveSubscription>;
  /** Messages handed to the socket and not yet written out: what a slow reader holds up. */
  buffered: number;
  /** The one write callback of this connection's subscription messages (no closure per event). */
  written: () => void;
  /** Set once the credentials stop being valid; every operation is then refused. */
  refusal: string | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
}

/** One operation as a client sent it (graphql-ws `subscribe` payload or an HTTP request). */
export type OperationPayload = Pick<OperationRequest, 'query' | 'operationName' | 'variables' | 'extensions' | 'documentId'>;

/** An operation refused before it runs, with the HTTP status a stream transport answers. */
export interface Refusal {
  status: number;
  errors: GraphQLError[];
}

/**
 * What graphql-ws hands back to our hooks for one operation: its context, connection and id.
 * `traceContext`: the trace the client's subscribe message (or its connection) continues.
 */
export type OperationContext = RouterContext & { connection: Connection; operationId: string; traceContext?: TraceContext };

/** An operation that passed admission, ready to run. */
export type AdmittedOperation = ExecutionArgs & { contextValue: OperationContext };

/** Errors as clients see them: masked and coded (a stack trace only when configured). */
export type FormatErrors = (errors: ReadonlyArray<GraphQLError | GraphQLFormattedError>) => GraphQLFormattedError[];

export function errorFormatter(includeStacktrace: boolean): FormatErrors {
  return (errors) => errors.map((e) => formatError(e instanceof GraphQLError ? e.toJSON() : e, { includeStacktrace }));
}

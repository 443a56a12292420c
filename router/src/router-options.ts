import type { AccessTokenVerifier, SessionRevocations } from '@voiceassist/auth';
import type { TrustProxy } from '@voiceassist/client-address';
import type { DegradableDependency, MetricsListener } from '@voiceassist/service-endpoints';
import type { Logger } from '@voiceassist/logging';
import type { ServiceMetrics } from '@voiceassist/metrics';
import type { Server } from 'node:http';
import type { EdgeOptions } from './edge/edge.js';
import type { QueryEngineOptions, QueryPlannerName } from './engine/engine.js';
import type { ROUTER_ENGINES } from './env.js';
import type { SubscriptionLimits, SubscriptionServer } from './subscriptions/server.js';

// The router's options and its public shape, apart from createRouter so the modules it is made
// of can name them without importing it.

export interface RouterOptions {
  supergraphSdl: string;
  /** The file `supergraphSdl` came from: re-read by `reloadSupergraph()` (SIGHUP) and, when watched, on change. */
  supergraphPath?: string;
  /** Reload the supergraph when `supergraphPath` changes (SUPERGRAPH_WATCH). */
  watchSupergraph?: boolean;
  /** How long the file must stay unchanged before it is read (writers may take several writes). */
  supergraphWatchDebounceMs?: number;
  /** Replaces the routing URLs composed into the supergraph, per subgraph name. */
  subgraphUrls?: Record<string, string>;
  verifier: AccessTokenVerifier;
  /** Ends subscriptions of revoked sessions at once. */
  revocations: SessionRevocations;
  logger: Logger;
  subscriptionLimits?: Partial<SubscriptionLimits>;
  /** Subscription root fields that are pure live streams, whose identical subscriptions may share one upstream. */
  sharedSubscriptionFields?: string[];
  /** How often a quiet GraphQL over SSE stream gets a keep-alive comment (12 s unless given). */
  sseKeepAliveMs?: number;
  /** How often each subgraph's /health is probed in the background for /health and subgraph_up (10 s unless given). */
  subgraphHealthIntervalMs?: number;
  corsOrigins?: string[];
  /** Let Apollo Gateway send its own telemetry to Apollo (off by default). */
  apolloTelemetry?: boolean;
  /** Stack traces in error responses: only when ERRORS_INCLUDE_STACKTRACE asks. */
  includeStacktrace?: boolean;
  /** Proxies in front allowed to name the client (TRUST_PROXY); nothing by default. */
  trustProxy?: TrustProxy;
  /** Where /metrics is served (never on the public port); not at all when absent. */
  metricsListener?: MetricsListener | undefined;
  landingPage?: boolean;
  /** Introspection queries (off in production unless enabled). */
  introspection?: boolean;
  /** Edge protections: limits, rate limits, trusted operations, batching, headers. */
  edge?: Partial<EdgeOptions>;
  bodyLimitBytes?: number;
  subgraphTimeoutMs?: number;
  /**
   * What runs queries and mutations: the router's own engine (`native`, the default: Hive's or
   * Apollo's planner, our executor and projection; it also runs each subscription event's
   * `rest`, planned by Apollo's planner), or Apollo Gateway (`apollo`).
   */
  engine?: RouterEngine;
  /** The native engine's query planner; Apollo's when Hive's native binary cannot load. */
  queryPlanner?: QueryPlannerName;
  /** Native engine: identical concurrent queries of the same caller share one execution. */
  deduplicateQueries?: boolean;
  /** Native engine: operations whose plans are kept (least recently used go first). */
  queryPlanCacheSize?: number;
  /** Where Hive's planner is loaded from (tests stand in for a platform without its native binary). */
  loadHivePlanner?: QueryEngineOptions['loadHivePlanner'];
  /** A built web console (composition/console/dist), served under /console before the GraphQL routes. */
  consoleDir?: string;
  /** What the router serves without, degraded (its Redis): named by /ready and /health while away. */
  degradable?: Record<string, DegradableDependency>;
  onClose?: () => Promise<void>;
}

/** What one supergraph reload did: `refused` keeps the previous supergraph serving. */
export type SupergraphReload =
  | { outcome: 'reloaded'; hash: string; previousHash: string }
  | { outcome: 'unchanged'; hash: string }
  | { outcome: 'refused'; hash: string | undefined; reason: string };

export interface Router {
  httpServer: Server;
  metrics: ServiceMetrics;
  /** The URL each subgraph is reached at (the live supergraph's, updated by a reload). */
  subgraphUrls: Record<string, string>;
  /** The live supergraph's hash (also in /health and the router_supergraph_info metric). */
  readonly supergraphHash: string;
  /**
   * Swaps in a new supergraph (`sdl`, or `supergraphPath` re-read) with its schema, planner and
   * engine; requests already running finish on the old one. An invalid supergraph is refused and
   * the old one keeps serving.
   */
  reloadSupergraph(sdl?: string): Promise<SupergraphReload>;
  subscriptions: SubscriptionServer;
  /** Also starts the metrics listener when one is configured (its URL is `metricsUrl`). */
  listen(port: number, host?: string): Promise<{ url: string; port: number; metricsUrl?: string }>;
  close(): Promise<void>;
}

export type RouterEngine = (typeof ROUTER_ENGINES)[number];

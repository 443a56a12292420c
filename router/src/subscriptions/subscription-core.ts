import type { SubscriptionCaps } from './caps.js';
import type { Connections } from './connections.js';
import type { FormatErrors, SubscriptionServerOptions } from './core.js';
import type { DocumentCache } from './document-cache.js';
import type { EventResolver } from './event-resolution.js';
import type { SubscriptionMetrics } from './metrics.js';
import type { SharedStreams } from './stream-sharing.js';

/** The parts every transport (graphql-ws, SSE, multipart) shares: one module per concern. */
export interface SubscriptionCore {
  options: SubscriptionServerOptions;
  connections: Connections;
  caps: SubscriptionCaps;
  metrics: SubscriptionMetrics;
  documents: DocumentCache;
  resolveEvent: EventResolver;
  streams: SharedStreams;
  format: FormatErrors;
}

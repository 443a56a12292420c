import type { FlagDefinition } from './definition.js';

/**
 * The backend flags feed: a Server-Sent Events stream the flags subgraph serves beside its
 * GraphQL endpoint, for backend services only. It carries every flag definition, INTERNAL
 * included, so it is never reachable through the router (which proxies /graphql alone) and
 * requires the shared service token in FLAGS_SERVICE_TOKEN_HEADER.
 *
 *   GET /internal/flags/stream[?afterVersion=N]
 *   event: snapshot   data: FeedSnapshot      (first, or after a gap the history cannot fill)
 *   event: change     data: FeedChange        (every change after it, in version order)
 *   ": keep-alive" comments while idle
 */
export const FLAGS_FEED_PATH = '/internal/flags/stream';
export const FLAGS_SERVICE_TOKEN_HEADER = 'x-flags-service-token';
/** The feed writes a comment at least this often; a client that hears nothing for three times as long reconnects. */
export const FEED_KEEP_ALIVE_MS = 15_000;

export interface FeedSnapshot {
  version: number;
  flags: FlagDefinition[];
}

export interface FeedChange {
  version: number;
  key: string;
  action: 'CREATED' | 'UPDATED' | 'DELETED';
  /** The flag after the change; null when it was deleted. */
  flag: FlagDefinition | null;
}

export type FeedMessage = { event: 'snapshot'; data: FeedSnapshot } | { event: 'change'; data: FeedChange };

/** One SSE message; `id` is the version, so a reconnecting client knows where it stopped. */
export function encodeFeedMessage(message: FeedMessage): string {
  return `event: ${message.event}\nid: ${message.data.version}\ndata: ${JSON.stringify(message.data)}\n\n`;
}

export const FEED_KEEP_ALIVE = ': keep-alive\n\n';

/**
 * Incremental SSE parser: feed it decoded text as it arrives, get complete messages back.
 * Handles the subset the feed writes (event, data, id, comments), split anywhere.
 */
export function createFeedParser(): (chunk: string) => FeedMessage[] {
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  return (chunk) => {
    buffer += chunk;
    const messages: FeedMessage[] = [];
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (data.length > 0 && (event === 'snapshot' || event === 'change')) {
          messages.push({ event, data: JSON.parse(data.join('\n')) } as FeedMessage);
        }
        event = 'message';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
    }
    return messages;
  };
}

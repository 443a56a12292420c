import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '@voiceassist/http-io';
import {
  encodeFeedMessage,
  FEED_KEEP_ALIVE,
  FEED_KEEP_ALIVE_MS,
  FLAGS_SERVICE_TOKEN_HEADER,
  type FeedMessage,
} from '@voiceassist/flags-client/feed-protocol';
import type { Logger } from '@voiceassist/logging';
import type { ChangeStreams, StreamItem } from './change-streams.js';

export interface BackendFeedOptions {
  streams: ChangeStreams;
  logger: Logger;
  /** FLAGS_SERVICE_TOKEN; when unset, loopback callers only, and nobody in production. */
  serviceToken: string | undefined;
  production: boolean;
  keepAliveMs?: number;
}

const digest = (value: string) => createHash('sha256').update(value).digest();
/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
const sameSecret = (presented: string, expected: string) => timingSafeEqual(digest(presented), digest(expected));

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function toMessage(item: Exclude<StreamItem, { type: 'error' }>): FeedMessage {
  if (item.type === 'snapshot') return { event: 'snapshot', data: item.snapshot };
  const { version, key, action, after } = item.change;
  return { event: 'change', data: { version, key, action, flag: after } };
}

/**
 * The backend flags feed (see @voiceassist/flags-client/feed-protocol): every flag, INTERNAL
 * included, for services that evaluate locally. Served beside /graphql, never through the router.
 */
export function createBackendFeed(options: BackendFeedOptions) {
  const { logger } = options;
  const open = new Set<{ close(): void }>();

  const authorize = (req: IncomingMessage): 'ok' | 'refused' | 'disabled' => {
    const presented = req.headers[FLAGS_SERVICE_TOKEN_HEADER];
    if (options.serviceToken) return typeof presented === 'string' && sameSecret(presented, options.serviceToken) ? 'ok' : 'refused';
    if (options.production) return 'disabled';
    return LOOPBACK.has(req.socket.remoteAddress ?? '') ? 'ok' : 'refused';
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = authorize(req);
    if (verdict !== 'ok') {
      logger.warn({ remoteAddress: req.socket.remoteAddress, verdict }, 'backend flags feed refused a caller');
      if (verdict === 'disabled') sendJson(res, 403, { error: 'The backend flags feed is disabled: set FLAGS_SERVICE_TOKEN' });
      else sendJson(res, 401, { error: `Send the service token in ${FLAGS_SERVICE_TOKEN_HEADER}` });
      return;
    }
    const raw = new URL(req.url ?? '/', 'http://localhost').searchParams.get('afterVersion');
    const afterVersion = raw === null ? undefined : Number(raw);
    if (afterVersion !== undefined && (!Number.isSafeInteger(afterVersion) || afterVersion < 0)) {
      sendJson(res, 400, { error: 'afterVersion must be a non-negative integer' });
      return;
    }
    const stream = await options.streams.open(afterVersion);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    const keepAlive = setInterval(() => res.write(FEED_KEEP_ALIVE), options.keepAliveMs ?? FEED_KEEP_ALIVE_MS);
    const entry = { close: () => void stream.return?.() };
    open.add(entry);
    res.on('close', entry.close);
    try {
      for await (const item of stream) {
        if (item.type === 'error') break;
        res.write(encodeFeedMessage(toMessage(item)));
      }
    } finally {
      clearInterval(keepAlive);
      open.delete(entry);
      res.off('close', entry.close);
      res.end();
    }
  }

  return {
    handle,
    /** Ends every open feed (before the HTTP server drains, which would otherwise wait on them). */
    closeAll() {
      for (const entry of open) entry.close();
    },
    get openCount() {
      return open.size;
    },
  };
}

export type BackendFeed = ReturnType<typeof createBackendFeed>;

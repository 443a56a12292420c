import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '@voiceassist/http-io';

/**
 * A GET route answering what `read` returns for `?since=<ms>` (everything without it), uncached:
 * the shape of identity's feeds that other services sync from (/revocations, /erasures).
 */
export function sinceRoute(read: (since?: number) => Promise<unknown>) {
  return async (_req: IncomingMessage, res: ServerResponse, { url }: { url: URL }) => {
    const raw = url.searchParams.get('since');
    const since = raw === null ? undefined : Number(raw);
    if (since !== undefined && !(Number.isSafeInteger(since) && since >= 0)) {
      sendJson(res, 400, { error: 'since must be a time in milliseconds since the epoch' });
      return;
    }
    sendJson(res, 200, await read(since), { 'cache-control': 'no-store' });
  };
}

import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

// The web console (composition/console), built by `vite build`, served by the router under /console
// on the router's own origin, so the console talks to /graphql without CORS.

export const CONSOLE_PATH = '/console';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** Same-origin only: scripts and styles from the console, GraphQL and graphql-ws on this router, audio as data/blob URLs, fonts as data URLs. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  // GraphiQL (explorer.html) carries its fonts inline.
  "font-src 'self' data:",
  "media-src 'self' data: blob:",
  "style-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

/**
 * A handler for GET/HEAD under /console: files of `dir`, index.html for the bare path and for
 * paths that name no file (client-side routes), immutable caching for Vite's hashed assets.
 * Returns false for every other path so the router goes on with its own routes.
 */
export function createConsoleSite(dir: string) {
  const root = resolve(dir);
  return function serveConsole(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (path !== CONSOLE_PATH && !path.startsWith(`${CONSOLE_PATH}/`)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'Method not allowed', { allow: 'GET, HEAD' });
      return true;
    }
    if (path === CONSOLE_PATH) {
      res.writeHead(308, { location: `${CONSOLE_PATH}/` });
      res.end();
      return true;
    }
    if (!existsSync(join(root, 'index.html'))) {
      send(res, 404, 'The console is not built: run `pnpm --filter @voiceassist/console build` (pnpm start does).');
      return true;
    }
    let relativePath: string;
    try {
      relativePath = decodeURIComponent(path.slice(CONSOLE_PATH.length + 1));
    } catch {
      send(res, 400, 'Bad path');
      return true;
    }
    let file = resolve(root, relativePath || 'index.html');
    if (file !== root && !file.startsWith(root + sep)) {
      send(res, 404, 'Not found');
      return true;
    }
    const isFile = existsSync(file) && statSync(file).isFile();
    if (!isFile) {
      // A missing asset is a 404; anything else is a client-side route of the single-page app.
      if (extname(file)) {
        send(res, 404, 'Not found');
        return true;
      }
      file = join(root, 'index.html');
    }
    const extension = extname(file);
    const headers: Record<string, string> = {
      'content-type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
      'content-length': String(statSync(file).size),
      'cache-control': file.startsWith(join(root, 'assets') + sep) ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (extension === '.html') headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
    return true;
  };
}

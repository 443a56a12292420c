import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { CONSOLE_PATH } from './console-site.js';

/** GraphiQL in the console build (composition/console/explorer.html), served by the router's console site. */
const OFFLINE_EXPLORER_FILE = 'explorer.html';
export const OFFLINE_EXPLORER_PATH = `${CONSOLE_PATH}/${OFFLINE_EXPLORER_FILE}`;

/** How long the page waits for Apollo Sandbox's script before falling back (the issue allows 15 s). */
const SANDBOX_TIMEOUT_MS = 8_000;

export interface LandingPageOptions {
  /** The bundled GraphiQL to fall back to, when the console is served; otherwise the fallback says how to query. */
  offlineExplorerPath?: string | undefined;
}

/**
 * The router's landing page (`/`, and `/graphql` for browsers): Apollo Sandbox from Apollo's CDN,
 * pointed at this router's /graphql for HTTP and graphql-ws whatever path the page was opened at
 * (Apollo's own landing page plugin cannot set the subscription endpoint). Where the CDN cannot
 * be reached (no egress), the script fails or never arrives, and the page moves to the bundled
 * GraphiQL, which needs nothing from the network.
 */
export function landingPageHtml(options: LandingPageOptions = {}): string {
  const fallback = options.offlineExplorerPath
    ? `location.replace(${JSON.stringify(options.offlineExplorerPath)});`
    : `document.getElementById('sandbox').textContent = 'Apollo Sandbox could not load (no network?). POST GraphQL requests to ' + endpoint + '; build the console (pnpm build) for the offline explorer.';`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<title>VoiceAssist Supergraph: Apollo Sandbox</title>
<style>html,body{margin:0;height:100%;font-family:system-ui,sans-serif}#sandbox{position:absolute;inset:0}iframe{border:none;width:100%;height:100%}</style>
</head>
<body>
<noscript>Apollo Sandbox needs JavaScript. POST GraphQL requests to /graphql instead.</noscript>
<div id="sandbox"></div>
<script>
  var endpoint = window.location.origin + '/graphql';
  var fellBack = false;
  function offlineExplorer() {
    if (fellBack || window.EmbeddedSandbox) return;
    fellBack = true;
    ${fallback}
  }
  var sandboxTimer = setTimeout(offlineExplorer, ${SANDBOX_TIMEOUT_MS});
</script>
<script src="https://embeddable-sandbox.cdn.apollographql.com/_latest/embeddable-sandbox.umd.production.min.js" onerror="offlineExplorer()"></script>
<script>
  if (window.EmbeddedSandbox && !fellBack) {
    clearTimeout(sandboxTimer);
    new window.EmbeddedSandbox({
      target: '#sandbox',
      initialEndpoint: endpoint,
      initialSubscriptionEndpoint: endpoint.replace(/^http/, 'ws'),
      endpointIsEditable: false,
      includeCookies: false,
      runTelemetry: false,
      initialState: { pollForSchemaUpdates: false },
    });
  }
</script>
</body>
</html>`;
}

/**
 * Serves the landing page for a GET (or HEAD) without a GraphQL operation: on `/` for any client
 * that takes HTML or anything (`curl`'s `Accept: *\/*` included), on `/graphql` for browsers
 * (`Accept: text/html`), as Apollo's landing pages do. Returns false for everything else.
 */
export function createLandingPage(consoleDir: string | undefined) {
  return function serveLandingPage(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || url.searchParams.size > 0) return false;
    const accept = req.headers.accept ?? '*/*';
    const wantsHtml = accept.includes('text/html') || (url.pathname === '/' && accept.includes('*/*'));
    if (!wantsHtml || (url.pathname !== '/' && url.pathname !== '/graphql')) return false;
    // Checked per request: the console may be built after the router started (pnpm start builds it first).
    const explorerBuilt = consoleDir !== undefined && existsSync(join(consoleDir, OFFLINE_EXPLORER_FILE));
    const html = landingPageHtml({ offlineExplorerPath: explorerBuilt ? OFFLINE_EXPLORER_PATH : undefined });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(html) });
    res.end(req.method === 'HEAD' ? undefined : html);
    return true;
  };
}

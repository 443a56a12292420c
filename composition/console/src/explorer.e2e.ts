import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterDocument, createGraphQLFetch } from '@voiceassist/typed-operations';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { CHROMIUM_PATH, buildConsole, hasChromium, launchChromium, screenshot } from './testing/browser.js';

// The router's landing page in headless Chromium with no way out to the internet (every request
// off the router's origin is refused, as on a network without egress): Apollo Sandbox cannot
// load from Apollo's CDN, so the page falls back to the GraphiQL bundled with the console, which
// runs a query with the token from its headers editor and a subscription over graphql-ws.

if (!hasChromium) {
  console.warn(`Skipping the offline explorer's browser test: ${CHROMIUM_PATH} is missing. Install it with: apt-get update && apt-get install -y chromium`);
}

const EMAIL = 'explorer@example.org';

describe.skipIf(!hasChromium)('the landing page without internet', { timeout: 120_000 }, () => {
  let supergraph: TestSupergraph;
  let browser: Browser;
  let consoleDir: string;
  let accessToken: string;

  beforeAll(async () => {
    consoleDir = await buildConsole();
    supergraph = await startSupergraph({ subgraphs: ['identity', 'flags'], router: { consoleDir } });
    const api = createGraphQLFetch({ url: supergraph.graphqlUrl });
    ({ accessToken } = (await api.execute(RegisterDocument, { input: { email: EMAIL, password: 'amber falcon lighthouse', displayName: 'Explorer' } })).register);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await supergraph?.stop();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  /** Sets a GraphiQL (CodeMirror 5) editor's text the way typing would, through its change events. */
  const setEditor = (page: Page, selector: string, text: string) =>
    page.evaluate(`document.querySelector(${JSON.stringify(`${selector} .CodeMirror`)}).CodeMirror.setValue(${JSON.stringify(text)})`);
  const response = (page: Page) => page.evaluate<string>(`document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()`);

  async function run(page: Page, query: string, until: (text: string) => boolean): Promise<string> {
    await setEditor(page, '.graphiql-query-editor', query);
    // GraphiQL takes the edited document's operation name after a debounce: clicking Run at once
    // can send the previous document's name (the default query's `Ping`) with the new document,
    // which no person typing is quick enough to do; give it a second, as a busy machine needs.
    await page.waitForTimeout(1_000);
    await page.locator('.graphiql-execute-button').click();
    let text = '';
    await expect.poll(async () => until((text = await response(page))), { timeout: 20_000 }).toBe(true).catch((error: unknown) => {
      throw new Error(`${query} answered ${text || 'nothing'}`, { cause: error });
    });
    return text;
  }

  it('answers curl-like clients (Accept: */*) with the HTML page, and browsers on /graphql too', async () => {
    for (const [path, accept] of [['/', '*/*'], ['/', 'text/html'], ['/graphql', 'text/html,application/xhtml+xml,*/*;q=0.8']] as const) {
      const page = await fetch(`${supergraph.routerUrl}${path}`, { headers: { accept } });
      expect(page.status, `${path} ${accept}`).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain('EmbeddedSandbox');
      // The router's real endpoints, whatever path the page was opened at.
      expect(html).toContain("window.location.origin + '/graphql'");
      expect(html).toContain('/console/explorer.html');
    }
    // A GraphQL client on /graphql still gets GraphQL's answer.
    const api = await fetch(supergraph.graphqlUrl, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(400);
  });

  it('falls back to the bundled GraphiQL within 15 s, which runs a query with the token and a subscription', async () => {
    const context = await browser.newContext();
    const offSite: string[] = [];
    // No egress: anything not on the router fails as it would on a network without internet.
    await context.route(
      (url) => url.origin !== new URL(supergraph.routerUrl).origin,
      (route) => {
        offSite.push(new URL(route.request().url()).host);
        return route.abort('internetdisconnected');
      },
    );
    const page = await context.newPage();
    const pageErrors: string[] = [];
    let introspected = false;
    page.on('request', (request) => {
      if (request.url() === supergraph.graphqlUrl && request.postData()?.includes('__schema')) introspected = true;
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/.test(message.text())) pageErrors.push(message.text());
    });
    const started = Date.now();
    await page.goto(`${supergraph.routerUrl}/`);
    await page.waitForURL(/\/console\/explorer\.html$/, { timeout: 15_000 });
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ timeout: 15_000 });
    expect(Date.now() - started).toBeLessThan(15_000);

    // Without a token nobody is signed in; with the headers editor's token the router knows who asks.
    expect(await run(page, '{ me { email } }', (text) => text.includes('"data"') || text.includes('"errors"'))).not.toContain(EMAIL);
    await setEditor(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)', JSON.stringify({ Authorization: `Bearer ${accessToken}` }));
    expect(JSON.parse(await run(page, '{ me { email } }', (text) => text.includes(EMAIL)))).toEqual({ data: { me: { email: EMAIL } } });

    // A subscription over graphql-ws: the flags snapshot arrives first.
    const event = await run(page, 'subscription { flagChanges { kind } }', (text) => text.includes('SNAPSHOT'));
    expect(JSON.parse(event)).toEqual({ data: { flagChanges: { kind: 'SNAPSHOT' } } });
    await screenshot(page, 'explorer-offline');

    expect(pageErrors).toEqual([]);
    // GraphiQL has the router's schema (for completion and docs), by introspection over HTTP.
    expect(introspected).toBe(true);
    // Only Apollo's CDN was tried, and it was refused: GraphiQL needed nothing off the router.
    expect([...new Set(offSite)]).toEqual(['embeddable-sandbox.cdn.apollographql.com']);
    await context.close();
  });
});

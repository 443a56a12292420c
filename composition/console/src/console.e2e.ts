import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogoutEverywhereDocument, UsersDocument, createGraphQLFetch } from '@voiceassist/typed-operations';
import { createTrustedOperations, readTrustedOperations } from '@voiceassist/router';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { CHROMIUM_PATH, buildConsole, hasChromium, launchChromium, screenshot, unlabelledControls } from './testing/browser.js';

// The console, built by Vite and served by the real router under /console, driven in headless
// Chromium against the whole supergraph. The router runs in safelist mode with the committed
// trusted-operations manifest, so every operation the console sends must be in it.

if (!hasChromium) {
  console.warn(`Skipping the console's browser tests: ${CHROMIUM_PATH} is missing. Install it with: apt-get update && apt-get install -y chromium`);
}

const PASSWORD = 'violet kettle harbour';
const manifestPath = fileURLToPath(new URL('../../../schema/trusted-operations.json', import.meta.url));
const KNOWLEDGE_TEXT = [
  'Metformin is the first-line medication for type 2 diabetes.',
  'The usual starting dose of metformin is 500 mg once or twice daily with meals.',
  'Lactic acidosis is a rare but serious side effect of metformin.',
].join(' ');

describe.skipIf(!hasChromium)('the console in a browser', { timeout: 120_000 }, () => {
  let supergraph: TestSupergraph;
  let browser: Browser;
  let consoleDir: string;
  let consoleUrl: string;
  const contexts: BrowserContext[] = [];
  /** The first account (SUPERADMIN), signed in in its own browser context. */
  let admin: Page;
  /** A second account (USER), in another context. */
  let clinician: Page;

  beforeAll(async () => {
    consoleDir = await buildConsole();
    supergraph = await startSupergraph({
      env: {
        // Short-lived access tokens: the silent refresh runs during the suite.
        identity: { AUTH_THROTTLE_PER_MINUTE: '1000', ACCESS_TOKEN_TTL_SECONDS: '30' },
        // Slow enough to watch a reply grow and to stop it.
        conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: '150' },
      },
      router: { consoleDir, edge: { trustedOperations: createTrustedOperations('safelist', readTrustedOperations(manifestPath)) } },
    });
    consoleUrl = `${supergraph.routerUrl}/console/`;
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await supergraph?.stop();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    return page;
  }

  const heading = (page: Page) => page.getByRole('heading', { level: 1 });
  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

  async function expectLabelled(page: Page) {
    expect(await unlabelledControls(page)).toEqual([]);
  }

  async function register(page: Page, email: string, displayName: string) {
    await page.goto(`${consoleUrl}#/register`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Display name').fill(displayName);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText(`Signed in as ${displayName}`).waitFor();
  }

  async function sessionOf(page: Page): Promise<{ accessToken: string; expiresAt: string }> {
    const stored = await page.evaluate<string | null>("window.sessionStorage.getItem('voiceassist.session')");
    return JSON.parse(stored ?? '{}') as { accessToken: string; expiresAt: string };
  }
  const accessTokenOf = async (page: Page) => (await sessionOf(page)).accessToken;

  it('sends a signed-out visitor to sign-in, and registration shows each field error next to its field', async () => {
    admin = await newPage();
    await admin.goto(consoleUrl);
    await expect.poll(() => heading(admin).textContent()).toBe('Sign in');
    expect(admin.url()).toMatch(/#\/login$/);
    await expectLabelled(admin);
    await screenshot(admin, '01-sign-in');

    await admin.getByRole('link', { name: 'Create one' }).click();
    await expect.poll(() => heading(admin).textContent()).toBe('Create an account');
    await admin.getByLabel('Email').fill('not an email');
    await admin.getByLabel('Display name').fill('Ada Admin');
    await admin.getByLabel('Password', { exact: true }).fill('password1');
    await admin.getByRole('button', { name: 'Create account' }).click();
    const emailErrors = admin.locator('[data-field-error="email"]');
    await emailErrors.waitFor();
    expect(await emailErrors.textContent()).toContain('valid email');
    expect(await admin.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');

    await admin.getByLabel('Email').fill('ada@example.org');
    await admin.getByRole('button', { name: 'Create account' }).click();
    const passwordErrors = admin.locator('[data-field-error="password"]');
    await passwordErrors.waitFor();
    await expect.poll(() => passwordErrors.textContent()).toContain('Use at least 12 characters.');
    expect(await passwordErrors.textContent()).toContain('too common');
    expect(await admin.locator('[data-field-error="email"]').count()).toBe(0);
    // The error list is tied to its field for screen readers.
    const describedBy = (await admin.getByLabel('Password', { exact: true }).getAttribute('aria-describedby')) ?? '';
    expect(describedBy.split(' ')).toContain(await passwordErrors.getAttribute('id'));
    await screenshot(admin, '02-register-field-errors');

    await admin.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await admin.getByRole('button', { name: 'Create account' }).click();
    await admin.getByText('Signed in as Ada Admin').waitFor();
    expect(await admin.locator('.whoami').textContent()).toContain('(superadmin)');
    await expect.poll(() => heading(admin).textContent()).toBe('Conversations');
    await expectLabelled(admin);
    await screenshot(admin, '03-conversations-empty');
  });

  it('signs in with the keyboard alone, and says so when the password is wrong', async () => {
    clinician = await newPage();
    await register(clinician, 'cleo@example.org', 'Cleo Clinician');
    await clinician.getByRole('button', { name: 'Sign out', exact: true }).click();
    await expect.poll(() => heading(clinician).textContent()).toBe('Sign in');

    // The page's heading has the focus; Tab moves through the form in order.
    await clinician.keyboard.press('Tab');
    await clinician.keyboard.type('cleo@example.org');
    await clinician.keyboard.press('Tab');
    await clinician.keyboard.type('not the password at all');
    await clinician.keyboard.press('Enter');
    await expect.poll(() => clinician.getByRole('alert').textContent()).toContain('email or password is not right');
    await screenshot(clinician, '04-sign-in-wrong-password');

    await clinician.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await clinician.keyboard.press('Enter');
    await clinician.getByText('Signed in as Cleo Clinician').waitFor();
    expect(await clinician.locator('.whoami').textContent()).toContain('(user)');
    // No admin pages for a USER.
    expect(await nav(clinician, 'Users').count()).toBe(0);
  });

  it('lets the superadmin change a user’s role on the users page', async () => {
    await nav(admin, 'Users').click();
    await expect.poll(() => heading(admin).textContent()).toBe('Users');
    const row = admin.locator('tr[data-user="cleo@example.org"]');
    await row.waitFor();
    await expectLabelled(admin);
    await row.getByLabel('Role of Cleo Clinician').selectOption('ADMIN');
    await row.getByRole('button', { name: 'Change role' }).click();
    await expect.poll(() => admin.getByRole('status').first().textContent()).toContain('Cleo Clinician is now ADMIN');
    await screenshot(admin, '05-admin-users');

    // The server has it too.
    const api = createGraphQLFetch({ url: supergraph.graphqlUrl, getToken: () => accessTokenOf(admin) });
    const { users } = await api.execute(UsersDocument, { search: 'cleo@example.org' });
    expect(users.edges.map((e) => e.node.role)).toEqual(['ADMIN']);
  });

  it('shows the audit log and verifies its chain', async () => {
    await nav(admin, 'Audit log').click();
    await expect.poll(() => heading(admin).textContent()).toBe('Audit log');
    await admin.locator('tr[data-action="user_update"]').first().waitFor();
    expect(await admin.locator('tr[data-action="register"]').count()).toBeGreaterThanOrEqual(2);
    await admin.getByRole('button', { name: 'Verify the chain' }).click();
    await expect.poll(() => admin.getByRole('status').first().textContent()).toMatch(/The chain is intact: \d+ entries checked/);
    await expectLabelled(admin);
    await screenshot(admin, '06-admin-audit');
  });

  it('streams a reply that grows token by token, stops one, and regenerates one', async () => {
    // Cleo was promoted (her sessions ended): she signs in again.
    await clinician.reload();
    if ((await heading(clinician).textContent()) === 'Sign in') {
      await clinician.getByLabel('Email').fill('cleo@example.org');
      await clinician.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await clinician.getByRole('button', { name: 'Sign in' }).click();
      await clinician.getByText('Signed in as Cleo Clinician').waitFor();
    }
    await nav(clinician, 'Conversations').click();
    await clinician.getByLabel('Title (optional: the first message names it)').fill('Ward round');
    await clinician.getByRole('button', { name: 'New conversation' }).click();
    await expect.poll(() => heading(clinician).textContent()).toBe('Ward round');
    await expectLabelled(clinician);

    await clinician.getByLabel('Message', { exact: true }).fill('What should I check first?');
    await clinician.getByLabel('Use the knowledge base').uncheck();
    await clinician.getByRole('button', { name: 'Send' }).click();
    const reply = clinician.locator('li.message.assistant').first();
    await reply.waitFor();
    // Sample the reply while it streams: it is seen at several growing lengths before it completes.
    const lengths = new Set<number>();
    await expect
      .poll(
        async () => {
          const status = await reply.getAttribute('data-status');
          const text = (await reply.locator('.message-content').textContent()) ?? '';
          if (status === 'STREAMING' && text !== '…') lengths.add(text.length);
          return status;
        },
        { timeout: 60_000, interval: 50 },
      )
      .toBe('COMPLETE');
    expect(lengths.size).toBeGreaterThanOrEqual(2);
    expect(await reply.locator('.message-content').textContent()).toContain('no knowledge source');
    await screenshot(clinician, '07-chat-streamed-reply');

    // Stop a reply while it streams: it ends CANCELLED with the text so far.
    await clinician.getByLabel('Message', { exact: true }).fill('And then?');
    await clinician.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => clinician.locator('li.message.assistant').count()).toBe(2);
    const second = clinician.locator('li.message.assistant').nth(1);
    await expect.poll(() => second.getAttribute('data-status')).toBe('STREAMING');
    await expect.poll(async () => ((await second.locator('.message-content').textContent()) ?? '').replace('…', '').length, { timeout: 30_000 }).toBeGreaterThan(0);
    await second.getByRole('button', { name: 'Stop generating' }).click();
    await expect.poll(() => second.getAttribute('data-status'), { timeout: 30_000 }).toBe('CANCELLED');
    const stopped = (await second.locator('.message-content').textContent()) ?? '';
    expect(stopped.length).toBeGreaterThan(0);
    expect(stopped.length).toBeLessThan('I have no knowledge source to draw on for this, so I cannot give you a grounded answer. Add documents to the knowledge base, or connect a language model, and ask again.'.length);
    await screenshot(clinician, '08-chat-cancelled');

    // Regenerate the stopped reply: a new message streams in its place and completes.
    const stoppedId = await second.getAttribute('data-message-id');
    await second.getByRole('button', { name: 'Regenerate reply' }).click();
    const regenerated = clinician.locator('li.message.assistant').nth(1);
    await expect.poll(() => regenerated.getAttribute('data-message-id')).not.toBe(stoppedId);
    await expect.poll(() => regenerated.getAttribute('data-status'), { timeout: 60_000 }).toBe('COMPLETE');
    expect(await clinician.locator('li.message.assistant').count()).toBe(2);
  });

  it('uploads a document, follows its indexing live, searches it, and cites it in a reply with a link to it', async () => {
    await nav(admin, 'Knowledge').click();
    await expect.poll(() => heading(admin).textContent()).toBe('Knowledge');
    await expectLabelled(admin);
    await admin.getByLabel('Title', { exact: true }).fill('Metformin basics');
    await admin.getByLabel('File (.txt, .md, .html or .pdf)').setInputFiles({ name: 'metformin.txt', mimeType: 'text/plain', buffer: Buffer.from(KNOWLEDGE_TEXT) });
    await admin.getByRole('button', { name: 'Add document' }).click();
    const row = admin.locator('tr[data-document="Metformin basics"]');
    await row.waitFor();
    // No reload: the status arrives over documentStatus.
    await expect.poll(() => row.locator('.document-status').getAttribute('data-status'), { timeout: 60_000 }).toBe('READY');
    expect(Number(await row.locator('td').nth(2).textContent())).toBeGreaterThan(0);
    await screenshot(admin, '09-knowledge-uploaded');

    await admin.getByLabel('Question or keywords').fill('metformin starting dose');
    await admin.getByRole('button', { name: 'Search', exact: true }).click();
    const results = admin.locator('.search-results li');
    await results.first().waitFor();
    expect(await results.first().getByRole('link').textContent()).toBe('Metformin basics');
    expect(await results.first().locator('mark').count()).toBeGreaterThan(0);
    await screenshot(admin, '10-knowledge-search');

    // A reply drawing on it cites it; the citation opens the document.
    await nav(admin, 'Conversations').click();
    await admin.getByRole('button', { name: 'New conversation' }).click();
    await admin.getByLabel('Message', { exact: true }).fill('What is the starting dose of metformin?');
    await admin.getByRole('button', { name: 'Send' }).click();
    const reply = admin.locator('li.message.assistant').last();
    await expect.poll(() => reply.getAttribute('data-status'), { timeout: 60_000 }).toBe('COMPLETE');
    expect(await reply.locator('.message-content').textContent()).toContain('500 mg');
    const citation = reply.getByRole('region', { name: 'Sources' }).getByRole('link', { name: 'Metformin basics' });
    await citation.first().waitFor();
    await screenshot(admin, '11-chat-with-citation');
    await citation.first().click();
    await expect.poll(() => heading(admin).textContent()).toBe('Metformin basics');
    expect(await admin.locator('.document-status').getAttribute('data-status')).toBe('READY');
    await screenshot(admin, '12-document');
  });

  it('reads a reply aloud from Message.speech', async () => {
    await admin.goBack();
    const reply = admin.locator('li.message.assistant').last();
    await expect.poll(() => reply.getAttribute('data-status'), { timeout: 30_000 }).toBe('COMPLETE');
    await reply.getByRole('button', { name: 'Read aloud' }).click();
    const audio = reply.getByLabel('The reply read aloud');
    await audio.waitFor({ timeout: 60_000 });
    expect(await audio.getAttribute('src')).toMatch(/^data:audio\/[a-z0-9.+-]+;base64,/);
    // The browser decodes it: it has a duration.
    await expect.poll(() => audio.evaluate((element) => (element as unknown as { duration: number }).duration), { timeout: 30_000 }).toBeGreaterThan(0.2);
    await screenshot(admin, '13-read-aloud');
  });

  it('shows a flag flipped by an admin in another open console without a reload', async () => {
    await nav(clinician, 'Flags').click();
    await expect.poll(() => heading(clinician).textContent()).toBe('Feature flags');
    await clinician.getByRole('heading', { name: 'Your flags (live)' }).waitFor();
    await expect.poll(() => clinician.getByText('Connecting…').count()).toBe(0);
    // Marks this document: a reload would lose it.
    await clinician.evaluate('window.notReloaded = true');

    await nav(admin, 'Flags').click();
    await expect.poll(() => heading(admin).textContent()).toBe('Feature flags');
    await expectLabelled(admin);
    await admin.getByLabel('Key', { exact: true }).fill('console.banner');
    await admin.getByLabel('Description').fill('Shows the banner');
    await admin.getByLabel('Visibility').selectOption('AUTHENTICATED');
    await admin.getByRole('button', { name: 'Create flag' }).click();
    const adminRow = admin.locator('tr[data-admin-flag="console.banner"]');
    await adminRow.waitFor();

    const seen = clinician.locator('tr[data-flag="console.banner"]');
    await expect.poll(() => seen.getAttribute('data-enabled'), { timeout: 30_000 }).toBe('false');
    await adminRow.getByRole('button', { name: 'Turn on console.banner' }).click();
    await expect.poll(() => seen.getAttribute('data-enabled'), { timeout: 30_000 }).toBe('true');
    expect(await clinician.getByRole('status').first().textContent()).toContain('console.banner is now on');
    await screenshot(admin, '14-flags-admin');
    await screenshot(clinician, '15-flags-live');

    await adminRow.getByRole('button', { name: 'Turn off console.banner' }).click();
    await expect.poll(() => seen.getAttribute('data-enabled'), { timeout: 30_000 }).toBe('false');
    expect(await clinician.evaluate<boolean | undefined>('window.notReloaded')).toBe(true);
  });

  it('refreshes the access token silently and keeps working past its expiry', async () => {
    const before = await sessionOf(clinician);
    // Tokens live 30 s here; the console renews them at 80% of that, without asking anyone.
    await expect.poll(() => Date.now(), { timeout: 60_000, interval: 500 }).toBeGreaterThan(new Date(before.expiresAt).getTime() + 1_000);
    expect((await sessionOf(clinician)).accessToken).not.toBe(before.accessToken);
    await nav(clinician, 'Conversations').click();
    await clinician.getByRole('link', { name: 'Ward round' }).waitFor();
    expect(await clinician.locator('.whoami').textContent()).toContain('Cleo Clinician');
    // The live flags page still follows changes on the renewed token.
    await nav(clinician, 'Flags').click();
    await clinician.locator('tr[data-flag="console.banner"]').waitFor();
  });

  it('returns to sign-in, saying why, when the session has ended', async () => {
    await nav(clinician, 'Conversations').click();
    await clinician.getByRole('link', { name: 'Ward round' }).waitFor();
    // Everywhere-logout from another device revokes this session and its refresh token.
    const api = createGraphQLFetch({ url: supergraph.graphqlUrl, getToken: () => accessTokenOf(clinician) });
    expect(await api.execute(LogoutEverywhereDocument)).toEqual({ logoutEverywhere: true });
    await clinician.getByRole('link', { name: 'Ward round' }).click();
    await expect.poll(() => heading(clinician).textContent(), { timeout: 30_000 }).toBe('Sign in');
    expect(await clinician.getByRole('status').first().textContent()).toContain('session has expired');
    await screenshot(clinician, '16-session-expired');
    // Signing in again comes back to where the user was going.
    await clinician.getByLabel('Email').fill('cleo@example.org');
    await clinician.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await clinician.getByRole('button', { name: 'Sign in' }).click();
    // Signing in and loading the conversation again: the same allowance as the first load above.
    await expect.poll(() => heading(clinician).textContent(), { timeout: 30_000 }).toBe('Ward round');
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrustedOperations, readTrustedOperations } from '@voiceassist/router';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { CHROMIUM_PATH, buildConsole, hasChromium, launchChromiumWithMicrophone, screenshot } from './testing/browser.js';

// Voice mode in the console: headless Chromium with a fake microphone playing a question that
// espeak-ng spoke, recorded by MediaRecorder (WebM/Opus), sent with askByVoice through the real
// router (safelist mode), heard by pocketsphinx; the reply's speech streams back and plays
// sentence by sentence.

if (!hasChromium) console.warn(`Skipping the console's voice test: ${CHROMIUM_PATH} is missing.`);

const manifestPath = fileURLToPath(new URL('../../../schema/trusted-operations.json', import.meta.url));

describe.skipIf(!hasChromium)('voice mode in the console', { timeout: 180_000 }, () => {
  let supergraph: TestSupergraph;
  let browser: Browser;
  let consoleDir: string;
  let workDir: string;
  let page: Page;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'voiceassist-voice-'));
    const wav = join(workDir, 'question.wav');
    // Chromium loops the file from an arbitrary point: a short pause either side, and a recording
    // longer than two loops, hold the question whole at least once.
    const spoken = execFileSync('espeak-ng', ['-v', 'en-us+klatt', '-s', '140', '--stdout', 'what is the usual dose of aspirin']);
    execFileSync('sox', ['-t', 'wav', '-', '-r', '16000', '-c', '1', '-b', '16', wav, 'pad', '0.3', '0.7'], { input: spoken });
    consoleDir = await buildConsole();
    supergraph = await startSupergraph({
      env: { identity: { AUTH_THROTTLE_PER_MINUTE: '1000' } },
      router: { consoleDir, edge: { trustedOperations: createTrustedOperations('safelist', readTrustedOperations(manifestPath)) } },
    });
    browser = await launchChromiumWithMicrophone(wav);
    page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(60_000);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await supergraph?.stop();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('asks by voice from the microphone button and plays the reply as it streams', async () => {
    await page.goto(`${supergraph.routerUrl}/console/#/register`);
    await page.getByLabel('Email').fill('vera@example.com');
    await page.getByLabel('Display name').fill('Vera Voice');
    await page.getByLabel('Password', { exact: true }).fill('violet kettle harbour');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Signed in as Vera Voice').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Conversations', exact: true }).click();
    await page.getByLabel('Title (optional: the first message names it)').fill('Spoken');
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByRole('heading', { level: 1, name: 'Spoken' }).waitFor();
    await page.getByLabel('Use the knowledge base').uncheck();

    await page.getByRole('button', { name: 'Ask by voice' }).click();
    await page.getByRole('button', { name: 'Stop and send' }).waitFor();
    await page.waitForTimeout(6_500);
    await page.getByRole('button', { name: 'Stop and send' }).click();

    const question = page.locator('li.message.user').first();
    await question.waitFor();
    // Through the browser's Opus encoding pocketsphinx hears the question roughly ("what is unusual
    // is also a vast it"): some of its words, stored as the user's message.
    const heard = new Set((await question.locator('.message-content').textContent())?.toLowerCase().split(/\W+/));
    expect(['what', 'is', 'the', 'usual', 'dose', 'of', 'aspirin'].filter((w) => heard.has(w)).length).toBeGreaterThanOrEqual(2);
    const player = page.locator('.speech-player');
    await player.waitFor();
    await expect.poll(() => player.getAttribute('data-speech-done'), { timeout: 60_000 }).toBe('true');
    const received = Number(await player.getAttribute('data-speech-received'));
    expect(received).toBeGreaterThanOrEqual(2);
    // Every sentence's audio plays to its end, one after the other.
    await expect.poll(async () => Number(await player.getAttribute('data-speech-played')), { timeout: 60_000 }).toBe(received);
    await page.getByText(`Spoke the reply (${received} sentences).`).waitFor();
    await screenshot(page, 'voice-01-spoken-reply');
  });

  it('shows live dictation: each recorded chunk appears as it is stored, then the note', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dictation', exact: true }).click();
    await page.getByRole('button', { name: 'New dictation' }).click();
    const live = page.getByRole('region', { name: 'Live dictation' });
    await live.waitFor();
    for (let chunk = 1; chunk <= 2; chunk++) {
      await page.getByRole('button', { name: 'Record a chunk' }).click();
      await page.getByRole('button', { name: 'Stop recording' }).waitFor();
      await page.waitForTimeout(3_500);
      await page.getByRole('button', { name: 'Stop recording' }).click();
      // The chunk's partial arrives over dictationEvents, without reloading anything.
      await expect.poll(() => live.getAttribute('data-chunks'), { timeout: 60_000 }).toBe(String(chunk));
    }
    const chunks = await page.getByRole('list', { name: 'Chunks' }).getByRole('listitem').allTextContents();
    expect(chunks).toHaveLength(2);
    for (const text of chunks) expect(text.trim().length).toBeGreaterThan(0);
    const growing = await page.locator('.dictation-transcript').textContent();
    expect(growing?.trim().length).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Finish' }).click();
    await expect.poll(() => live.getAttribute('data-dictation-status')).toBe('FINISHED');
    await expect.poll(() => page.locator('.dictation-transcript').textContent()).toContain('Subjective:');
    await screenshot(page, 'voice-02-dictation');
  });
});

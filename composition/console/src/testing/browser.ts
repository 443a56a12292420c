import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (`apt-get install -y chromium`); the browser tests are skipped without it. */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

const execFileAsync = promisify(execFile);

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const consoleRoot = fileURLToPath(new URL('../../', import.meta.url));
export const screenshotDir = fileURLToPath(new URL('../../../../test-output/console/', import.meta.url));

/**
 * Builds the console with its own Vite config into a fresh folder, the way `pnpm start` does:
 * `vite build` in a process of its own. Vite and React take their production mode from
 * NODE_ENV, which vitest sets to "test" in this process, so the build process gets
 * NODE_ENV=production (through env(1), leaving this process's environment alone).
 */
export async function buildConsole(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'voiceassist-console-'));
  const vite = join(consoleRoot, 'node_modules/.bin/vite');
  await execFileAsync('env', ['NODE_ENV=production', vite, 'build', consoleRoot, '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn']);
  return outDir;
}

/** Headless Chromium; Playwright gives every launch a fresh temporary profile (user data dir). */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * Chromium with a fake microphone that plays `wavPath` (looped), granted without a prompt,
 * and audio allowed to play without a click.
 */
export function launchChromiumWithMicrophone(wavPath: string): Promise<Browser> {
  return launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-audio-capture=${wavPath}`, '--autoplay-policy=no-user-gesture-required']);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Every form control of the page without an accessible name (a label, aria-label or aria-labelledby; a button's text). */
export function unlabelledControls(page: Page): Promise<string[]> {
  // A string, evaluated in the page: this file is type-checked for Node, without DOM types.
  return page.evaluate<string[]>(`[...document.querySelectorAll('input, select, textarea, button')]
    .filter((control) => control.type !== 'hidden')
    .filter((control) => !((control.labels?.length ?? 0) > 0 || control.getAttribute('aria-label') || control.getAttribute('aria-labelledby') || (control.tagName === 'BUTTON' && control.textContent.trim())))
    .map((control) => control.outerHTML.slice(0, 120))`);
}

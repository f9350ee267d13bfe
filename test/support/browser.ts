import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from './server.ts';

/**
 * Debian's Chromium driven by playwright-core (no browser download), headless, with nothing that
 * talks to the network on its own. playwright-core gives each launch a fresh temporary profile
 * (it refuses a --user-data-dir argument) and removes it on close.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts');

/** Why the browser tests cannot run here, or undefined when they can (in CI a missing one is an error). */
export function browserUnavailable(): string | undefined {
  const reason = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (Debian package chromium)`;
  if (reason && process.env['CI']) throw new Error(`Chromium is required in CI: ${reason}`);
  if (reason) console.warn(`browser tests skipped: ${reason}`);
  return reason;
}

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
    },
  };
}

/** Saves a full-page screenshot as test-artifacts/<name>.png (the folder is git-ignored). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

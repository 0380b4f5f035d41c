// Chromium for browser tests, found (and, when missing, installed from Debian)
// exactly as scripts/ensure-chromium.ts does for CI, driven by playwright-core.
// Without a Chromium the tests skip with it.skipIf/describe.skipIf and this
// says why on the console: never a silent skip.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureChromium } from '../../scripts/ensure-chromium.ts';
import { projectRoot } from '../../scripts/paths.ts';

export interface ChromiumAvailability {
  /** The executable to launch; undefined = skip the browser tests. */
  executablePath: string | undefined;
  /** Why there is none (also printed once). */
  reason: string | undefined;
}

let availability: ChromiumAvailability | undefined;

/**
 * Looks once per test process. Installs Debian's chromium when none is found,
 * unless CHROMIUM_INSTALL=0 (then it only looks).
 */
export function chromiumForTests(): ChromiumAvailability {
  if (availability) return availability;
  const result = ensureChromium({
    install: process.env.CHROMIUM_INSTALL !== '0',
    log: (line) => console.log(`[browser tests] ${line}`),
    aptOutput: 'pipe',
  });
  if (result.found) {
    availability = { executablePath: result.found.path, reason: undefined };
    if (result.installed) console.log(`[browser tests] installed ${result.found.path} (${result.found.version ?? 'version unknown'})`);
  } else {
    availability = { executablePath: undefined, reason: result.reason ?? 'no Chromium' };
    console.warn(`[browser tests] SKIPPED: no Chromium to drive. ${availability.reason}\n` +
      '[browser tests] Install it with `npx node scripts/ensure-chromium.ts` (Debian: apt-get install chromium) or set CHROMIUM_PATH.');
  }
  return availability;
}

export function launchChromium(executablePath: string): Promise<Browser> {
  // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
}

/** Screenshots and DOM dumps of the browser tests (git-ignored). */
export const browserArtifactsDir = join(projectRoot, 'test-artifacts', 'browser');

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(browserArtifactsDir, { recursive: true });
  const path = join(browserArtifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The page's DOM at this moment, for finding out what a failing locator met. */
export async function saveDom(page: Page, name: string): Promise<string> {
  mkdirSync(browserArtifactsDir, { recursive: true });
  const path = join(browserArtifactsDir, `${name}.html`);
  writeFileSync(path, await page.content());
  return path;
}

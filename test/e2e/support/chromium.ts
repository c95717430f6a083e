/**
 * Debian's Chromium, driven by playwright-core, for end-to-end tests as a user's browser sees the
 * gateway. Every `*.test` name resolves to loopback, where the tests' gateway listens.
 *
 * @example
 * const browser = await launchChromium();
 * const page = await (await browser.newContext()).newPage();
 * await page.goto(`http://sticky.test:${gw.port}/`);
 */
import { access } from 'node:fs/promises';
import { type Browser, chromium } from 'playwright-core';

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const FLAGS = [
  '--no-sandbox', // the tests run as root
  '--disable-gpu',
  '--disable-dev-shm-usage', // CI machines may have a small /dev/shm
  '--no-first-run',
  // The machine has no route out: background fetches (updates, sync, safe browsing) only add noise.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  // Test pages are plain HTTP on purpose; an HTTPS upgrade attempt would reach the HTTP port as TLS.
  '--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
  '--host-resolver-rules=MAP *.test 127.0.0.1',
];

/** Launches headless Chromium; fails with the install command when Debian's package is missing. */
export async function launchChromium(): Promise<Browser> {
  try {
    await access(CHROMIUM_PATH);
  } catch {
    throw new Error(`${CHROMIUM_PATH} not found: install Debian's Chromium (apt-get install chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS });
}

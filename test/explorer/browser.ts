import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Where Debian (and Ubuntu) put chromium; GRADNET_CHROMIUM overrides. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The chromium to drive, or undefined (with the reason a test prints when it skips). */
export function findChromium(): { path: string } | { skip: string } {
  const wanted = process.env.GRADNET_CHROMIUM;
  if (wanted !== undefined) return existsSync(wanted) ? { path: wanted } : { skip: `GRADNET_CHROMIUM=${wanted} does not exist` };
  const path = CANDIDATES.find((candidate) => existsSync(candidate));
  return path === undefined ? { skip: 'no chromium installed (apt-get install chromium; .ci/run does)' } : { path };
}

/** Launches headless chromium through playwright-core (which downloads nothing: it drives the given binary). */
export async function launchChromium(path: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: path, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

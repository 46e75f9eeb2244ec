// The portal's browser tests need Debian's Chromium (Playwright's own browser download does not
// work here). Like the Temporal CLI for `npm start`, a test run installs it when it is missing.
import { execFileSync } from 'node:child_process';
import { executable } from '../../worker/temporalCli';
import { CHROMIUM } from '../helpers/browser';

export function ensureChromium(): void {
  if (executable(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (sudo apt-get install chromium) or set CHROMIUM_PATH`);
  }
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!executable(CHROMIUM)) throw new Error(`apt-get installed chromium, but ${CHROMIUM} is not there: set CHROMIUM_PATH`);
}

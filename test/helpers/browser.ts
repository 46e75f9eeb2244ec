// Debian's Chromium driven by playwright-core (Playwright's own browser download does not work
// here), opening the portal the way a customer does: from a link a backend asked for.
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../config/paths';
import type { Stack } from './stack';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

/** A portal link for `org` in `role`, asked for with a service token as a customer's backend would. */
export async function portalLink(stack: Stack, org: string, role: 'owner' | 'member'): Promise<string> {
  const res = await stack.http.post(`/v1/orgs/${org}/portal-sessions`, stack.token('service'), { role, sub: `${role}@example.com` });
  if (res.status !== 201) throw new Error(`portal session: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.url;
}

export interface OpenedPortal {
  page: Page;
  /** Every URL the page requested, for the no-request-leaves-127.0.0.1 check. */
  requests: string[];
  close(): Promise<void>;
}

export async function openPortal(browser: Browser, url: string, viewport = { width: 1100, height: 900 }): Promise<OpenedPortal> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(url);
  return { page, requests, close: () => context.close() };
}

/** The README's screenshots: written to docs/ with UPDATE_SCREENSHOTS=1, else to the temp dir, so
 * a test run does not change committed files. */
export function screenshotPath(name: string): string {
  return path.join(process.env.UPDATE_SCREENSHOTS === '1' ? path.join(PROJECT_ROOT, 'docs') : os.tmpdir(), name);
}

// Who sees what in the portal: a member's controls are all disabled, a tampered or used link gets
// no data, and an agency's owner manages a sub-account's allocation with its estimate as they type.
import type { Browser } from 'playwright-core';
import { createOrg, expectStatus } from '../helpers/billing';
import { launchBrowser, openPortal, portalLink, screenshotPath, type OpenedPortal } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

const OWNER_ONLY = 'Only the organization owner can manage auto-recharge.';
const LINK_REFUSED = 'This billing link is invalid or has expired. Go back to the application and open the billing page again.';

let stack: Stack;
let browser: Browser;
const opened: OpenedPortal[] = [];

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const portal of opened) await portal.close();
  await browser?.close();
  await stack?.stop();
});

async function open(url: string): Promise<OpenedPortal> {
  const portal = await openPortal(browser, url);
  opened.push(portal);
  return portal;
}

test("a member sees everything, and every control that changes something is disabled", async () => {
  const org = await createOrg(stack, { planCredits: 1000 });
  const { page } = await open(await portalLink(stack, org, 'member'));
  const autoRecharge = page.getByRole('region', { name: 'Auto-Recharge' });
  await autoRecharge.getByText(OWNER_ONLY).waitFor();
  for (const label of ['Enable auto-recharge', 'Recharge threshold', 'Recharge amount', 'Max recharges per month']) {
    expect(await autoRecharge.getByLabel(label).isDisabled()).toBe(true);
  }
  expect(await autoRecharge.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
  expect(await autoRecharge.getByRole('button', { name: 'Update card' }).isDisabled()).toBe(true);
  const topUp = page.getByRole('region', { name: 'Top Up Now' });
  await topUp.getByText(OWNER_ONLY).waitFor();
  expect(await topUp.getByRole('button', { name: 'Top up credits' }).isDisabled()).toBe(true);
  await page.getByRole('region', { name: 'Billing and usage' }).getByText('1,000 credits', { exact: true }).waitFor();
});

test('a tampered link shows a clear message and gets no data; a used link too', async () => {
  const org = await createOrg(stack, { planCredits: 1000 });
  const url = new URL(await portalLink(stack, org, 'owner'));
  const code = url.searchParams.get('code')!;
  url.searchParams.set('code', `${code.slice(0, -2)}${code.endsWith('AA') ? 'BB' : 'AA'}`);
  const tampered = await open(url.toString());
  await tampered.page.getByRole('alert').getByText(LINK_REFUSED).waitFor();
  expect(tampered.requests.filter((r) => r.includes('/v1/'))).toEqual([]);
  expect(await tampered.page.getByText('Available balance').count()).toBe(0);

  url.searchParams.set('code', code);
  await open(url.toString()).then((p) => p.page.getByRole('region', { name: 'Billing and usage' }).waitFor());
  const reused = await open(url.toString());
  await reused.page.getByRole('alert').getByText(LINK_REFUSED).waitFor();
  expect(reused.requests.filter((r) => r.includes('/v1/'))).toEqual([]);
});

test("an agency's owner sets a sub-account's allocation, with its estimate as they type", async () => {
  const agency = await createOrg(stack, { planCredits: 1000 });
  const sub = await createOrg(stack, { planCredits: 200, parentId: agency });
  await createOrg(stack, { planCredits: 300, parentId: agency });
  await expectStatus(stack.http.put(`/v1/orgs/${sub}/auto-recharge`, stack.token('owner', sub), { enabled: true, thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 3 }), 200);
  const { page } = await open(await portalLink(stack, agency, 'owner'));
  const manager = page.getByRole('region', { name: 'Account Manager' });
  const row = manager.getByRole('row', { name: `Org ${sub}` });
  await row.getByText('200', { exact: true }).waitFor();
  await manager.scrollIntoViewIfNeeded();
  await row.getByRole('button', { name: 'Manage auto allocation' }).click();
  const dialog = page.getByRole('dialog', { name: `Auto allocation for Org ${sub}` });
  await dialog.getByLabel('Basic minutes').fill('100');
  await dialog.getByLabel('Premium minutes').fill('50');
  // 100 basic minutes at 9 credits per 2 minutes and 50 premium at 8 a minute: 850 credits at $20.00 per 1,000.
  await dialog.getByRole('status', { name: 'Estimated monthly charge' }).getByText('$17.00').waitFor();
  await dialog.getByText("Paid by the agency's card pm_card_visa.").waitFor();
  await dialog.getByText('Agencies can monitor sub-accounts but cannot manage their auto-recharge.').waitFor();
  await dialog.getByText('3 recharges used this month', { exact: false }).waitFor();
  await page.screenshot({ path: screenshotPath('portal-account-manager.png') });
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.getByText(/^Auto allocation saved: \$17\.00 a month/).waitFor();
});

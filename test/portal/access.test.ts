// Who sees what in the portal: a member's controls are all disabled, a tampered or used link gets
// no data, an agency's owner manages a sub-account's allocation with its estimate as they type;
// and what a recharge can leave: one waiting for 3-D Secure, auto-recharge disabled by declines.
import type { Browser } from 'playwright-core';
import { DISABLED_AFTER_FAILURES_MESSAGE } from '../../domain/autoRecharge';
import { createOrg, expectStatus, messages, postUsage, settled, summary } from '../helpers/billing';
import { launchBrowser, openPortal, portalLink, screenshotPath, type OpenedPortal } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

const OWNER_ONLY = 'Only the organization owner can manage auto-recharge.';
const LINK_REFUSED = 'This billing link is invalid or has expired. Go back to the application and open the billing page again.';

let stack: Stack;
let browser: Browser;
const opened: OpenedPortal[] = [];

beforeAll(async () => {
  // Declined recharges are retried at once, so three declines disable auto-recharge within the test.
  stack = await startStack({ AUTO_RECHARGE_RETRY_DELAY_MS: '100' });
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
  expect(await autoRecharge.getByRole('button', { name: 'Add card' }).isDisabled()).toBe(true);
  await autoRecharge.getByText('Visa •••• 4242, expires 12/2034').waitFor();
  expect(await autoRecharge.getByRole('button', { name: 'Remove' }).isDisabled()).toBe(true);
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
  await dialog.getByText('Charged to Visa •••• 4242, expires 12/2034.').waitFor();
  await dialog.getByText('Agencies can monitor sub-accounts but cannot manage their auto-recharge.').waitFor();
  await dialog.getByText('3 recharges used this month', { exact: false }).waitFor();
  await page.screenshot({ path: screenshotPath('portal-account-manager.png') });
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.getByText(/^Auto allocation saved: \$17\.00 a month/).waitFor();
});

test('a recharge waiting for 3-D Secure shows the entry point to the same dialog, and completing it credits once', async () => {
  const org = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_authenticationRequired', autoRecharge: { thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 2 } });
  const { page } = await open(await portalLink(stack, org, 'owner'));
  await postUsage(stack, org, messages(60));
  const topUp = page.getByRole('region', { name: 'Top Up Now' });
  await topUp.getByText('A payment of 500 credits is waiting for authentication.').waitFor({ timeout: 10_000 });
  await topUp.getByRole('button', { name: 'Authenticate payment' }).click();
  await page.getByRole('dialog', { name: 'Authenticate payment' }).getByRole('button', { name: 'Complete authentication' }).click();
  await topUp.getByText('Credits topped up successfully.').waitFor({ timeout: 10_000 });
  const after = await settled(stack, org);
  expect(after.availableCredits).toBe(40 + 500);
  expect(after.autoRecharge.rechargesUsedThisMonth).toBe(1);
});

test('auto-recharge disabled by declines shows the disabled text and the way back', async () => {
  const org = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_chargeDeclined', autoRecharge: { thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 5 } });
  const { page } = await open(await portalLink(stack, org, 'owner'));
  await postUsage(stack, org, messages(60));
  const section = page.getByRole('region', { name: 'Auto-Recharge' });
  const banner = section.getByRole('alert').filter({ hasText: DISABLED_AFTER_FAILURES_MESSAGE });
  await banner.waitFor({ timeout: 20_000 });
  await banner.getByText('Update the card below', { exact: false }).waitFor();
  // Another card, through the sandbox's checkout, and back.
  await section.getByRole('button', { name: 'Add card' }).click();
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByLabel('Expiry').fill('12 / 31');
  await page.getByLabel('CVC').fill('123');
  await page.getByRole('button', { name: 'Save card' }).click();
  await section.getByText('Visa •••• 4242, expires 12/2031').waitFor({ timeout: 10_000 });
  await section.getByRole('listitem', { name: 'Visa •••• 4242, expires 12/2031' }).getByText('Default: charges use this card').waitFor();
  await section.getByLabel('Enable auto-recharge').check();
  await section.getByRole('button', { name: 'Save' }).click();
  await section.getByText('Auto-recharge settings updated.').waitFor();
  await banner.waitFor({ state: 'detached', timeout: 10_000 });
  expect((await summary(stack, org)).autoRecharge).toMatchObject({ enabled: true, disabledReason: null });
});

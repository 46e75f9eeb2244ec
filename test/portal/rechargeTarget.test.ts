// Recharge to a target in the owner's portal, in Chromium by accessible names: the choice between a
// fixed amount and a target balance is stored, the cost line follows the target, and a crossing
// then buys up to the target.
import type { Browser, Page } from 'playwright-core';
import { createOrg, messages, postUsage, settled, summary } from '../helpers/billing';
import { launchBrowser, openPortal, portalLink, type OpenedPortal } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let browser: Browser;
let org: string;
let portal: OpenedPortal;
let page: Page;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  org = await createOrg(stack, { planCredits: 1000 });
  portal = await openPortal(browser, await portalLink(stack, org, 'owner'));
  page = portal.page;
  await page.getByRole('region', { name: 'Auto-Recharge' }).waitFor();
});

afterAll(async () => {
  await portal?.close();
  await browser?.close();
  await stack?.stop();
});

test('the owner chooses "Recharge to a target balance": the target is stored and a crossing buys up to it', async () => {
  const section = page.getByRole('region', { name: 'Auto-Recharge' });
  expect(await section.getByRole('radio', { name: 'Adds a fixed amount' }).isChecked()).toBe(true);
  await section.getByRole('radio', { name: 'Recharge to a target balance' }).check();
  // The target takes the amount's place.
  expect(await section.getByLabel('Recharge amount', { exact: true }).count()).toBe(0);
  await section.getByLabel('Recharge threshold').fill('500');
  await section.getByLabel('Target balance', { exact: true }).fill('3000');
  await section.getByLabel('Max recharges per month').fill('3');
  // From the threshold a recharge buys 2,500 credits at $20.00 per 1,000.
  await section.getByText('Recharge to 3,000 credits: from the threshold, one recharge buys 2,500 credits for $50.00').waitFor();
  await section.getByText(/^With these settings over the last 30 days: \d+ recharges?, \$\d+\.\d\d/).waitFor();
  await section.getByLabel('Enable auto-recharge').check();
  await section.getByRole('button', { name: 'Save' }).click();
  await section.getByText('Auto-recharge settings updated.').waitFor();
  expect((await summary(stack, org)).autoRecharge).toMatchObject({ enabled: true, mode: 'to_target', targetCredits: 3000, thresholdCredits: 500, maxRechargesPerMonth: 3 });

  await postUsage(stack, org, messages(700)); // 300 left: buys 2,700
  const s = await settled(stack, org, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s.availableCredits).toBe(3000);
  await section.getByText('1/3 recharges used this month').waitFor({ timeout: 5_000 });
  // After a reload the saved choice is shown.
  await page.reload();
  const reloaded = page.getByRole('region', { name: 'Auto-Recharge' });
  await reloaded.getByLabel('Target balance', { exact: true }).waitFor();
  expect(await reloaded.getByRole('radio', { name: 'Recharge to a target balance' }).isChecked()).toBe(true);
  expect(await reloaded.getByLabel('Target balance', { exact: true }).inputValue()).toBe('3000');
});

test('switching back to "Adds a fixed amount" saves a fixed recharge', async () => {
  const section = page.getByRole('region', { name: 'Auto-Recharge' });
  await section.getByRole('radio', { name: 'Adds a fixed amount' }).check();
  await section.getByLabel('Recharge amount', { exact: true }).fill('800');
  await section.getByRole('button', { name: 'Save' }).click();
  await section.getByText('Auto-recharge settings updated.').waitFor();
  expect((await summary(stack, org)).autoRecharge).toMatchObject({ mode: 'fixed', rechargeCredits: 800 });
});

// The owner's billing portal in Chromium, driven by accessible names: auto-recharge stored, a
// recharge shown live, Top Up Now, a 3-D Secure top-up credited once, an agent set to Stop, paging
// through 130 agents, the payment-method refusal, a 375 px layout, and no request leaving 127.0.0.1.
import type { Browser, Page } from 'playwright-core';
import { ENABLE_REFUSAL_MESSAGES } from '../../domain/autoRecharge';
import { createOrg, expectStatus, messages, postUsage, settled, summary } from '../helpers/billing';
import { launchBrowser, openPortal, portalLink, screenshotPath, type OpenedPortal } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

/** The bound for a change to show without a reload. */
const LIVE_MS = 5_000;

let stack: Stack;
let browser: Browser;
let org: string;
let portal: OpenedPortal;
let page: Page;
const allRequests: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  org = await createOrg(stack, { planCredits: 1000 });
  portal = await openPortal(browser, await portalLink(stack, org, 'owner'));
  page = portal.page;
  await page.getByRole('region', { name: 'Billing and usage' }).waitFor();
});

afterAll(async () => {
  allRequests.push(...portal.requests);
  await portal?.close();
  await browser?.close();
  await stack?.stop();
});

const region = (name: string) => page.getByRole('region', { name });

test('the link leaves no code in the address bar, and the page shows the balances and the usage chart', async () => {
  expect(new URL(page.url()).search).toBe('');
  const billing = region('Billing and usage');
  for (const term of ['Available balance', 'Remaining plan credits', 'Next cycle renewal']) await billing.getByText(term, { exact: true }).waitFor();
  await billing.getByText('1,000 credits', { exact: true }).waitFor();
  await billing.getByRole('img', { name: /^Credits used per day/ }).waitFor();
  await region('Auto-Recharge').getByText('$20.00 per 1,000 credits', { exact: false }).waitFor();
});

test('enable auto-recharge: the settings are stored', async () => {
  const section = region('Auto-Recharge');
  await section.getByLabel('Recharge threshold').fill('100');
  await section.getByLabel('Recharge amount').fill('500');
  await section.getByLabel('Max recharges per month').fill('2');
  await section.getByLabel('Enable auto-recharge').check();
  await section.getByText(/^With these settings over the last 30 days: \d+ recharges?, \$\d+\.\d\d/).waitFor();
  await section.getByRole('button', { name: 'Save' }).click();
  await section.getByText('Auto-recharge settings updated.').waitFor();
  const stored = (await summary(stack, org)).autoRecharge;
  expect(stored).toMatchObject({ enabled: true, thresholdCredits: 100, rechargeCredits: 500, maxRechargesPerMonth: 2 });
  await section.getByText('0/2 recharges used this month').waitFor();
});

test('usage sent through the API shows a recharge live: "1/2 recharges used this month"', async () => {
  await postUsage(stack, org, messages(950, 'agent-1'));
  await settled(stack, org, (s) => s.autoRecharge.rechargesUsedThisMonth === 1);
  await region('Auto-Recharge').getByText('1/2 recharges used this month').waitFor({ timeout: LIVE_MS });
  await region('Activity').getByText(/recharge/i).first().waitFor({ timeout: LIVE_MS });
});

test('Top Up Now: the dialog shows the minimum and the price, and the credits arrive', async () => {
  const before = (await summary(stack, org)).topUpCredits;
  await region('Top Up Now').getByRole('button', { name: 'Top up credits' }).click();
  const dialog = page.getByRole('dialog', { name: 'Top up credits' });
  await dialog.getByLabel('Credits').fill('600');
  await dialog.getByText('Minimum 500 credits', { exact: false }).waitFor();
  await dialog.getByText('Price: $12.00').waitFor();
  await dialog.getByRole('button', { name: 'Continue to payment' }).click();
  await region('Top Up Now').getByText('Credits topped up successfully.').waitFor();
  expect((await summary(stack, org)).topUpCredits).toBe(before + 600);
});

test('a 3-D Secure top-up is completed in the dialog and credited once', async () => {
  await expectStatus(stack.http.put(`/v1/orgs/${org}/payment-method`, stack.token('owner', org), { paymentMethodId: 'pm_card_authenticationRequired' }), 200);
  await page.reload();
  const before = (await summary(stack, org)).topUpCredits;
  await region('Top Up Now').getByRole('button', { name: 'Top up credits' }).click();
  const dialog = page.getByRole('dialog', { name: 'Top up credits' });
  await dialog.getByLabel('Credits').fill('700');
  await dialog.getByRole('button', { name: 'Continue to payment' }).click();
  const challenge = page.getByRole('dialog', { name: 'Authenticate payment' });
  await challenge.getByText('$14.00', { exact: false }).waitFor();
  await challenge.getByRole('button', { name: 'Complete authentication' }).click();
  await region('Top Up Now').getByText('Credits topped up successfully.').waitFor({ timeout: LIVE_MS * 2 });
  const after = await settled(stack, org);
  expect(after.topUpCredits).toBe(before + 700);
  const { rows } = await stack.db.query("SELECT count(*)::int AS n FROM ledger_entries WHERE org_id = $1 AND kind = 'top_up' AND credits = 700", [org]);
  expect(rows[0].n).toBe(1);
  await expectStatus(stack.http.put(`/v1/orgs/${org}/payment-method`, stack.token('owner', org), { paymentMethodId: 'pm_card_visa' }), 200);
});

test('a lost answer is retried with the same Idempotency-Key, a new click gets a new one, and a decline shows its reason', async () => {
  const keys: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/top-ups')) keys.push(r.headers()['idempotency-key']);
  });
  let dropped = false;
  await page.route('**/top-ups', (route) => (dropped ? route.continue() : ((dropped = true), route.abort('connectionreset'))));
  await region('Top Up Now').getByRole('button', { name: 'Top up credits' }).click();
  const dialog = page.getByRole('dialog', { name: 'Top up credits' });
  await dialog.getByLabel('Credits').fill('500');
  await dialog.getByRole('button', { name: 'Continue to payment' }).click();
  await dialog.getByText(/Continue to try again\.$/).waitFor();
  await dialog.getByRole('button', { name: 'Continue to payment' }).click();
  await region('Top Up Now').getByText('Credits topped up successfully.').waitFor();
  await page.unroute('**/top-ups');
  expect(keys).toHaveLength(2);
  expect(keys[1]).toBe(keys[0]);

  await expectStatus(stack.http.put(`/v1/orgs/${org}/payment-method`, stack.token('owner', org), { paymentMethodId: 'pm_card_chargeDeclined' }), 200);
  await region('Top Up Now').getByRole('button', { name: 'Top up credits' }).click();
  await dialog.getByRole('button', { name: 'Continue to payment' }).click();
  await dialog.getByRole('alert').getByText('Your card was declined.').waitFor();
  expect(keys).toHaveLength(3);
  expect(keys[2]).not.toBe(keys[0]);
  await page.keyboard.press('Escape');
  await expectStatus(stack.http.put(`/v1/orgs/${org}/payment-method`, stack.token('owner', org), { paymentMethodId: 'pm_card_visa' }), 200);
});

test('keyboard only: Tab reaches Top Up Now, Enter opens its dialog, Escape closes it', async () => {
  await page.reload();
  await region('Agents').waitFor();
  const button = region('Top Up Now').getByRole('button', { name: 'Top up credits' });
  for (let i = 0; i < 30 && !(await button.evaluate((el) => el === el.ownerDocument.activeElement)); i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Top up credits' });
  await dialog.waitFor();
  expect(await dialog.getByLabel('Credits').evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
});

test('an agent is set to Stop with a monthly limit', async () => {
  const row = region('Agents').getByRole('row', { name: /agent-1/ });
  await row.getByLabel('Monthly limit').fill('2000');
  await row.getByLabel('When plan credits are exhausted').selectOption({ label: 'Stop' });
  await row.getByRole('button', { name: 'Save' }).click();
  await row.getByText('Saved.').waitFor();
  const agent = (await summary(stack, org)).agents.find((a) => a.id === 'agent-1');
  expect(agent).toMatchObject({ monthlyLimitCredits: 2000, whenPlanExhausted: 'stop' });
});

test("the owner's page: a screenshot for the README", async () => {
  await page.reload();
  await region('Activity').getByRole('listitem').first().waitFor();
  await region('Auto-Recharge').getByText(/^With these settings over the last 30 days/).waitFor();
  await page.screenshot({ path: screenshotPath('portal-owner.png'), fullPage: true });
});

test('readable at 375 px: nothing wider than the screen', async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.reload();
  await region('Agents').waitFor();
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
  await page.setViewportSize({ width: 1100, height: 900 });
});

test('without a card, enabling auto-recharge shows the payment-method refusal', async () => {
  const cardless = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  const other = await openPortal(browser, await portalLink(stack, cardless, 'owner'));
  try {
    const section = other.page.getByRole('region', { name: 'Auto-Recharge' });
    await section.getByLabel('Enable auto-recharge').check();
    await section.getByRole('button', { name: 'Save' }).click();
    await section.getByText(ENABLE_REFUSAL_MESSAGES.payment_method_required, { exact: true }).waitFor();
    expect((await summary(stack, cardless)).autoRecharge.enabled).toBe(false);
  } finally {
    allRequests.push(...other.requests);
    await other.close();
  }
});

test('130 agents: the 100 with the most spend, then "Show more agents" pages in the rest, each once', async () => {
  const busy = await createOrg(stack, { planCredits: 100_000, paymentMethodId: null });
  // bot-001 spent 1 credit ... bot-130 spent 130: the summary's 100 are bot-031 to bot-130.
  const bots = Array.from({ length: 130 }, (_, i) => `bot-${String(i + 1).padStart(3, '0')}`);
  await postUsage(stack, busy, bots.map((agentId, i) => ({ id: `${busy}-${agentId}`, agentId, meter: 'message', quantity: i + 1 })));
  const other = await openPortal(browser, await portalLink(stack, busy, 'owner'));
  try {
    const section = other.page.getByRole('region', { name: 'Agents' });
    const rows = section.getByRole('row', { name: /^Agent bot-/ });
    await section.getByText('Showing 100 of 130 agents, those with the most spend this month first.').waitFor();
    expect(await rows.count()).toBe(100);
    await section.getByRole('row', { name: 'Agent bot-130' }).getByText('130 credits').waitFor();
    expect(await section.getByRole('row', { name: 'Agent bot-030' }).count()).toBe(0);

    await section.getByRole('button', { name: 'Show more agents' }).click();
    await section.getByText('Showing 130 of 130 agents, those with the most spend this month first.').waitFor();
    await section.getByRole('button', { name: 'Show more agents' }).waitFor({ state: 'detached' });
    const names = await rows.evaluateAll((found) => found.map((row) => row.getAttribute('aria-label')));
    expect([...names].sort()).toEqual(bots.map((bot) => `Agent ${bot}`));
    await section.getByRole('row', { name: 'Agent bot-001' }).getByText('1 credits').waitFor();
  } finally {
    allRequests.push(...other.requests);
    await other.close();
  }
});

test('no request the page makes leaves 127.0.0.1', async () => {
  const requests = [...allRequests, ...portal.requests];
  expect(requests.length).toBeGreaterThan(10);
  const hosts = new Set(requests.map((url) => new URL(url).hostname));
  expect([...hosts]).toEqual(['127.0.0.1']);
});

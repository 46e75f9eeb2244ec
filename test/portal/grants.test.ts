// The billing portal shows credit grants in "Billing and usage": what remains of them, counted in the
// available balance, and when the next ones expire; an organization without grants sees no such line.
import type { Browser } from 'playwright-core';
import { createOrg, expectStatus } from '../helpers/billing';
import { launchBrowser, openPortal, portalLink } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

test('grants and their next expiry show beside the plan credits and the wallet', async () => {
  const org = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  const expiresAt = '2031-03-15T12:00:00.000Z';
  await expectStatus(stack.http.post(`/v1/orgs/${org}/credit-grants`, stack.token('ops'), { credits: 2500, name: 'Promo', category: 'promotional', expiresAt }), 201);
  await expectStatus(stack.http.post(`/v1/orgs/${org}/credit-grants`, stack.token('ops'), { credits: 500, name: 'Sorry', category: 'goodwill' }), 201);
  const portal = await openPortal(browser, await portalLink(stack, org, 'member'));
  try {
    const billing = portal.page.getByRole('region', { name: 'Billing and usage' });
    await billing.getByText('Credit grants', { exact: true }).waitFor();
    await billing.getByText('4,000 credits', { exact: true }).waitFor(); // 1,000 plan + 3,000 in grants
    const expiry = await portal.page.evaluate((at) => new Date(at).toLocaleDateString(undefined, { dateStyle: 'medium' }), expiresAt);
    await billing.getByText(`3,000, 2,500 expire ${expiry}`, { exact: true }).waitFor();
    // Usage from the grants shows in the chart as its own part.
    await expectStatus(stack.http.post(`/v1/orgs/${org}/usage`, stack.token('service'), { events: [{ id: 'grant-use', agentId: 'a', meter: 'message', quantity: 1200 }] }), 202);
    await portal.page.reload();
    await billing.getByRole('img', { name: /: 1,000 from plan credits, 200 from credit grants and 0 from the wallet$/ }).waitFor();
    await billing.getByText('Credit grants', { exact: false }).first().waitFor();
  } finally {
    await portal.close();
  }
});

test('without grants there is no grants line', async () => {
  const org = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  const portal = await openPortal(browser, await portalLink(stack, org, 'member'));
  try {
    const billing = portal.page.getByRole('region', { name: 'Billing and usage' });
    await billing.getByText('Wallet', { exact: true }).waitFor();
    expect(await billing.getByText('Credit grants', { exact: true }).count()).toBe(0);
  } finally {
    await portal.close();
  }
});

// The billing portal shows credit grants in "Billing and usage": what remains of them, counted in the
// available balance, when the next ones expire, and a table of the active ones; an organization
// without grants sees neither.
import type { Browser, Locator } from 'playwright-core';
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
    await billing.locator('dt').getByText('Credit grants', { exact: true }).waitFor();
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

test('each active grant is listed with its category, what remains of it and its expiry; a voided one is not', async () => {
  const org = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  const ops = stack.token('ops');
  const grants = `/v1/orgs/${org}/credit-grants`;
  const expiresAt = '2031-03-15T12:00:00.000Z';
  await expectStatus(stack.http.post(grants, ops, { credits: 500, name: 'Launch promo', category: 'promotional', priority: 10, expiresAt }), 201);
  await expectStatus(stack.http.post(grants, ops, { credits: 800, name: 'Prepaid bundle', category: 'paid' }), 201);
  const withdrawn = await expectStatus(stack.http.post<{ grant: { id: string } }>(grants, ops, { credits: 400, name: 'Withdrawn', category: 'goodwill' }), 201);
  await expectStatus(stack.http.post(`${grants}/${withdrawn.grant.id}/void`, ops, {}), 200);
  await expectStatus(stack.http.post(grants, ops, { credits: 250, name: 'Outage apology', category: 'goodwill' }), 201);
  // 1,000 from the plan, then 300 from the grant spent first (the lowest priority).
  await expectStatus(stack.http.post(`/v1/orgs/${org}/usage`, stack.token('service'), { events: [{ id: 'promo-use', agentId: 'a', meter: 'message', quantity: 1300 }] }), 202);
  const portal = await openPortal(browser, await portalLink(stack, org, 'member'));
  try {
    const table = portal.page.getByRole('region', { name: 'Billing and usage' }).getByRole('table', { name: 'Credit grants' });
    await table.getByRole('cell', { name: '200 of 500', exact: true }).waitFor(); // the usage is recorded
    const headers = await table.getByRole('columnheader').allTextContents();
    expect(headers.map((h) => h.trim())).toEqual(['Name', 'Category', 'Remaining', 'Expires']);
    const expiry = await portal.page.evaluate((at) => new Date(at).toLocaleDateString(undefined, { dateStyle: 'medium' }), expiresAt);
    const cells = async (row: Locator) => (await row.locator('th, td').allTextContents()).map((text) => text.trim());
    const rows = await Promise.all((await table.locator('tbody tr').all()).map(cells));
    // Newest first; the voided grant is gone.
    expect(rows).toEqual([
      ['Outage apology', 'Goodwill', '250 of 250', 'Never'],
      ['Prepaid bundle', 'Paid', '800 of 800', 'Never'],
      ['Launch promo', 'Promotional', '200 of 500', expiry],
    ]);
    expect(await table.getByText('Withdrawn').count()).toBe(0);
  } finally {
    await portal.close();
  }
});

test('without grants there is no grants line and no grants table', async () => {
  const org = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  const portal = await openPortal(browser, await portalLink(stack, org, 'member'));
  try {
    const billing = portal.page.getByRole('region', { name: 'Billing and usage' });
    await billing.getByText('Wallet', { exact: true }).waitFor();
    expect(await billing.getByText('Credit grants', { exact: true }).count()).toBe(0);
    expect(await billing.getByRole('table').count()).toBe(0);
  } finally {
    await portal.close();
  }
});

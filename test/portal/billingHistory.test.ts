// "Billing history" in the owner's portal, in Chromium by accessible names: each payment with its
// status and amount, a "Receipt" link that opens the receipt, and a refund or dispute shown as such.
import type { Browser } from 'playwright-core';
import { createOrg, expectStatus } from '../helpers/billing';
import { launchBrowser, openPortal, portalLink, type OpenedPortal } from '../helpers/browser';
import { startStack, type Stack } from '../helpers/stack';

const LIVE_MS = 5_000;

let stack: Stack;
let browser: Browser;
let portal: OpenedPortal;

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
});

afterAll(async () => {
  await portal?.close();
  await browser?.close();
  await stack?.stop();
});

test('payments are listed with status, amount and receipt; a refund and a dispute show as such', async () => {
  const org = await createOrg(stack, { planCredits: 0 });
  const owner = stack.token('owner', org);
  const ops = stack.token('ops');
  const topUp = async (credits: number, key: string) => (await expectStatus(stack.http.post(`/v1/orgs/${org}/top-ups`, owner, { credits }, { 'idempotency-key': key }), 201)).topUp.id as string;
  const refunded = await topUp(600, 'h1');
  const disputed = await topUp(700, 'h2');
  await topUp(800, 'h3');

  portal = await openPortal(browser, await portalLink(stack, org, 'owner'));
  const history = portal.page.getByRole('region', { name: 'Billing history' });
  const row = (amount: string) => history.getByRole('row').filter({ hasText: amount });
  await row('$16.00').getByText('Paid').waitFor();
  await row('$16.00').getByText('Visa •••• 4242', { exact: false }).waitFor();
  const href = await row('$16.00').getByRole('link', { name: 'Receipt' }).getAttribute('href');
  const receipt = await fetch(href!);
  expect(receipt.status).toBe(200);
  expect(await receipt.text()).toContain('800 credits at $20.00 per 1,000 credits');

  await expectStatus(stack.http.post(`/v1/orgs/${org}/payments/${refunded}/refunds`, ops, {}), 201);
  const { payments } = await expectStatus(stack.http.get(`/v1/orgs/${org}/payments`, ops), 200);
  const intent = payments.find((p: { id: string }) => p.id === disputed).paymentIntentId;
  await expectStatus(stack.http.post(`/v1/sandbox/payment-intents/${intent}/dispute`, ops, {}), 201);
  await row('$12.00').getByText('Refunded', { exact: true }).waitFor({ timeout: LIVE_MS });
  await row('$14.00').getByText('Disputed', { exact: true }).waitFor({ timeout: LIVE_MS });
});

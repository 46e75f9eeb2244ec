// Cards in the owner's portal, in Chromium by accessible names: "Add card" opens the sandbox's
// checkout, which refuses a number that is not a test card, saves a test card and comes back; the
// card is listed in the portal and by the API; "Make default", "Remove", "Cancel", and the top-up
// dialog naming the card it charges.
import type { Browser, Page } from 'playwright-core';
import { createOrg, expectStatus, summary } from '../helpers/billing';
import { launchBrowser, openPortal, portalLink, type OpenedPortal } from '../helpers/browser';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let browser: Browser;
let org: string;
let portal: OpenedPortal;
let page: Page;
const violations: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  org = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  portal = await openPortal(browser, await portalLink(stack, org, 'owner'));
  page = portal.page;
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.getByRole('region', { name: 'Billing and usage' }).waitFor();
});
afterAll(async () => {
  await portal?.close();
  await browser?.close();
  await stack?.stop();
});

const cards = () => page.getByRole('region', { name: 'Auto-Recharge' }).getByRole('group', { name: 'Cards' });

async function checkout(number: string, expiry: string): Promise<void> {
  await cards().getByRole('button', { name: 'Add card' }).click();
  await page.getByRole('heading', { name: 'Save a card' }).waitFor();
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiry').fill(expiry);
  await page.getByLabel('CVC').fill('123');
  await page.getByRole('button', { name: 'Save card' }).click();
}

async function listed(): Promise<Array<{ id: string; last4: string; isDefault: boolean }>> {
  return (await expectStatus(stack.http.get(`/v1/orgs/${org}/payment-methods`, stack.token('owner', org)), 200)).paymentMethods;
}

test('"Add card" opens the sandbox checkout, which refuses a real-looking number and saves a test card; back in the portal it is listed', async () => {
  await cards().getByText('No card on file.').waitFor();
  await checkout('4111 1111 1111 1111', '12 / 30');
  await page.getByRole('alert').getByText("This sandbox takes Stripe's test card numbers only", { exact: false }).waitFor();
  expect(await page.getByLabel('Card number').inputValue()).toBe('');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByLabel('Expiry').fill('12 / 30');
  await page.getByLabel('CVC').fill('123');
  await page.getByRole('button', { name: 'Save card' }).click();
  const item = cards().getByRole('listitem', { name: 'Visa •••• 4242, expires 12/2030' });
  await item.getByText('Default: charges use this card').waitFor({ timeout: 10_000 });
  expect(new URL(page.url()).pathname).toBe('/portal/');
  expect(await listed()).toEqual([expect.objectContaining({ brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030, isDefault: true })]);
});

test('a second card becomes the default; "Make default" and "Remove" act on the list; the top-up dialog names the card', async () => {
  await checkout('5555 5555 5555 4444', '06 / 32');
  const mastercard = cards().getByRole('listitem', { name: 'Mastercard •••• 4444, expires 06/2032' });
  await mastercard.getByText('Default: charges use this card').waitFor({ timeout: 10_000 });
  const visa = cards().getByRole('listitem', { name: 'Visa •••• 4242, expires 12/2030' });
  await visa.getByRole('button', { name: 'Make default' }).click();
  await cards().getByText('Visa •••• 4242, expires 12/2030 is now the default card.').waitFor();
  await visa.getByText('Default: charges use this card').waitFor();
  expect((await summary(stack, org)).paymentMethod).toMatchObject({ brand: 'visa', last4: '4242' });

  await page.getByRole('region', { name: 'Top Up Now' }).getByRole('button', { name: 'Top up credits' }).click();
  const dialog = page.getByRole('dialog', { name: 'Top up credits' });
  await dialog.getByText('Charged to Visa •••• 4242, expires 12/2030.').waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await mastercard.getByRole('button', { name: 'Remove' }).click();
  await cards().getByText('Mastercard •••• 4444, expires 06/2032 removed.').waitFor();
  await mastercard.waitFor({ state: 'detached' });
  expect((await listed()).map((c) => c.last4)).toEqual(['4242']);
});

test('"Cancel" on the checkout comes back to the portal and saves nothing; the page kept to the CSP', async () => {
  await cards().getByRole('button', { name: 'Add card' }).click();
  await page.getByLabel('Card number').fill('5555 5555 5555 4444');
  await page.getByRole('link', { name: 'Cancel' }).click();
  await cards().getByRole('button', { name: 'Add card' }).waitFor();
  await eventually(async () => expect((await listed()).map((c) => c.last4)).toEqual(['4242']));
  expect(violations).toEqual([]);
  expect(portal.requests.every((url) => new URL(url).hostname === '127.0.0.1')).toBe(true);
});

// Cards through the sandbox's checkout: a session, the page's form, the signed events that make
// the card count, then listing, the default, removal and its refusals, charges following the
// default card, an allocation's own card, and bad input that changes nothing.
import { signPayload } from '../../api/stripeEvents';
import { createOrg, enableAutoRecharge, expectStatus, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const path = (org: string, rest = '') => `/v1/orgs/${org}${rest}`;
const owner = (org: string) => stack.token('owner', org);

async function openSession(org: string, body: Record<string, unknown> = {}): Promise<{ url: string; expiresAt: string }> {
  return expectStatus(stack.http.post(path(org, '/payment-method-sessions'), owner(org), body), 201);
}

/** What the checkout page's form sends; the redirect is not followed. */
function submit(url: string, fields: Record<string, string>) {
  return fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
}

const VISA = { number: '4242 4242 4242 4242', expiry: '12 / 30', cvc: '123' };

async function cards(org: string) {
  return (await expectStatus(stack.http.get(path(org, '/payment-methods'), owner(org)), 200)).paymentMethods;
}

/** Adds a card through the checkout and waits until its events made it count. */
async function addThroughCheckout(org: string, fields: Record<string, string>): Promise<string> {
  const before = (await cards(org)).length;
  const { url } = await openSession(org);
  expect((await submit(url, fields)).status).toBe(303);
  const listed = await eventually(async () => {
    const now = await cards(org);
    if (now.length !== before + 1) throw new Error('not listed yet');
    return now;
  });
  return listed[0].id;
}

test('a session opens the sandbox checkout; the saved card counts through its events and becomes the default', async () => {
  const org = await createOrg(stack, { paymentMethodId: null });
  const session = await openSession(org, { returnUrl: 'https://app.example.com/billing?done=1' });
  expect(session.url).toMatch(new RegExp(`^${stack.api.url}/sandbox/checkout/cs_sandbox_[0-9a-f]{48}$`));
  const ttl = Date.parse(session.expiresAt) - Date.now();
  expect(ttl).toBeGreaterThan(55 * 60_000);
  expect(ttl).toBeLessThanOrEqual(60 * 60_000);

  const page = await fetch(session.url);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("form-action 'self' https://app.example.com");
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  const html = await page.text();
  for (const label of ['<label for="number">Card number</label>', '<label for="expiry">Expiry</label>', '<label for="cvc">CVC</label>', 'Save card</button>', 'Cancel</a>']) expect(html).toContain(label);

  const saved = await submit(session.url, { number: '4242424242424242', expiry: '11/2031', cvc: '123' });
  expect(saved.status).toBe(303);
  expect(saved.headers.get('location')).toBe('https://app.example.com/billing?done=1');
  const [card] = await eventually(async () => {
    const listed = await cards(org);
    if (listed.length === 0) throw new Error('not listed yet');
    return listed;
  });
  expect(card).toEqual({ id: expect.stringMatching(/^pm_sandbox_[0-9a-f]{24}$/), brand: 'visa', last4: '4242', expMonth: 11, expYear: 2031, isDefault: true });
  expect((await summary(stack, org)).paymentMethod).toEqual({ id: card.id, brand: 'visa', last4: '4242', expMonth: 11, expYear: 2031 });
  // The number typed is nowhere in the database.
  const { rows } = await stack.db.query("SELECT count(*)::int AS n FROM sandbox_checkout_sessions s, sandbox_payment_methods m WHERE row_to_json(s)::text LIKE '%4242424242424242%' OR row_to_json(m)::text LIKE '%4242424242424242%'");
  expect(rows[0].n).toBe(0);

  // Usable once.
  const again = await submit(session.url, { number: '5555555555554444', expiry: '11/2031', cvc: '123' });
  expect(again.status).toBe(410);
  expect(await cards(org)).toHaveLength(1);
});

test('the checkout refuses other numbers, the card declined at save, a past expiry and an expired session, and saves nothing', async () => {
  const org = await createOrg(stack, { paymentMethodId: null });
  const { url } = await openSession(org);
  const realLooking = await submit(url, { number: '4111 1111 1111 1111', expiry: '12/30', cvc: '123' });
  expect(realLooking.status).toBe(422);
  const page = await realLooking.text();
  expect(page).toContain("This sandbox takes Stripe&#39;s test card numbers only");
  expect(page).not.toContain('4111');
  const declined = await submit(url, { number: '4000 0000 0000 0002', expiry: '12/30', cvc: '123' });
  expect(declined.status).toBe(402);
  expect(await declined.text()).toContain('Your card was declined.');
  expect((await submit(url, { ...VISA, expiry: '01/20' })).status).toBe(422);
  expect((await submit(url, { ...VISA, cvc: '' })).status).toBe(422);
  expect(await cards(org)).toEqual([]);
  // Still open after refusals; closed once expired.
  await stack.db.query("UPDATE sandbox_checkout_sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [url.split('/').pop()]);
  expect((await fetch(url)).status).toBe(410);
  expect((await submit(url, VISA)).status).toBe(410);
  expect(await cards(org)).toEqual([]);
  expect((await summary(stack, org)).paymentMethod).toBeNull();
});

test('a malformed session request is refused, and only owner, service and ops open one', async () => {
  const org = await createOrg(stack);
  for (const body of [{ returnUrl: 'javascript:alert(1)' }, { returnUrl: 'ftp://example.com/' }, { returnUrl: '/portal/' }, { returnUrl: 42 }, { other: 1 }]) {
    const res = await stack.http.post(path(org, '/payment-method-sessions'), owner(org), body);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
  }
  expect((await stack.http.post(path(org, '/payment-method-sessions'), stack.token('member', org), {})).status).toBe(403);
  const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM sandbox_checkout_sessions WHERE org_id = $1', [org]);
  expect(rows[0].n).toBe(0);
  // Without returnUrl the customer comes back to the portal.
  const { url } = await expectStatus(stack.http.post(path(org, '/payment-method-sessions'), stack.token('service'), {}), 201);
  expect((await submit(url, VISA)).headers.get('location')).toBe(`${stack.api.url}/portal/`);
});

test('several cards: make one the default, remove one, the default passes to the most recent other card', async () => {
  const org = await createOrg(stack, { paymentMethodId: null });
  const visa = await addThroughCheckout(org, VISA);
  const mastercard = await addThroughCheckout(org, { number: '5555 5555 5555 4444', expiry: '03/33', cvc: '321' });
  const lowFunds = await addThroughCheckout(org, { number: '4000 0000 0000 9995', expiry: '04/34', cvc: '321' });
  expect((await cards(org)).map((c: { id: string; isDefault: boolean }) => [c.id, c.isDefault])).toEqual([
    [lowFunds, true],
    [mastercard, false],
    [visa, false],
  ]);
  const made = await expectStatus(stack.http.put(path(org, `/payment-methods/${visa}/default`), owner(org)), 200);
  expect(made.paymentMethods.find((c: { isDefault: boolean }) => c.isDefault).id).toBe(visa);
  expect((await summary(stack, org)).paymentMethod?.id).toBe(visa);
  await expectStatus(stack.http.del(path(org, `/payment-methods/${visa}`), owner(org)), 204);
  // The most recently added other card.
  expect((await summary(stack, org)).paymentMethod).toMatchObject({ id: lowFunds, last4: '9995' });
  await expectStatus(stack.http.del(path(org, `/payment-methods/${mastercard}`), owner(org)), 204);
  expect((await cards(org)).map((c: { id: string }) => c.id)).toEqual([lowFunds]);
  const { rows } = await stack.db.query('SELECT detached_at IS NOT NULL AS detached FROM sandbox_payment_methods WHERE id = ANY($1) ORDER BY id', [[visa, mastercard]]);
  expect(rows).toEqual([{ detached: true }, { detached: true }]);
});

test('unknown cards and other organizations\' cards are 404; the last card with auto-recharge on is kept (409); nothing changes', async () => {
  const org = await createOrg(stack, { paymentMethodId: null });
  const other = await createOrg(stack, { paymentMethodId: null });
  const mine = await addThroughCheckout(org, VISA);
  const theirs = await addThroughCheckout(other, VISA);
  for (const [method, route] of [
    ['PUT', `/payment-methods/${theirs}/default`],
    ['DELETE', `/payment-methods/${theirs}`],
    ['PUT', '/payment-methods/pm_unknown/default'],
    ['DELETE', '/payment-methods/pm_unknown'],
  ] as const) {
    const res = await stack.http.request(method, path(org, route), owner(org));
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: 'payment_method_not_found', message: 'Payment method not found.' });
  }
  expect((await stack.http.del(path(org, '/payment-methods/not-a-card'), owner(org))).status).toBe(422);
  // Another organization's checkout card cannot be saved here either.
  const attach = await stack.http.put(path(org, '/payment-method'), owner(org), { paymentMethodId: theirs });
  expect(attach.status).toBe(422);
  expect(attach.body.error.code).toBe('invalid_payment_method');
  expect((await cards(other)).map((c: { id: string }) => c.id)).toEqual([theirs]);

  await enableAutoRecharge(stack, org, { thresholdCredits: 100, rechargeCredits: 500, maxRechargesPerMonth: 2 });
  const refused = await stack.http.del(path(org, `/payment-methods/${mine}`), owner(org));
  expect(refused.status).toBe(409);
  expect(refused.body.error).toEqual({
    code: 'payment_method_required',
    message: 'Visa •••• 4242 is the only card, and auto-recharge is on: it would have no card to charge. Add another card, or turn auto-recharge off, first.',
  });
  expect(await cards(org)).toEqual([expect.objectContaining({ id: mine, isDefault: true })]);
  expect((await summary(stack, org)).paymentMethod?.id).toBe(mine);
});

test('charges use the default card: a top-up follows its test card, and PUT payment-method still attaches and makes the default', async () => {
  const org = await createOrg(stack, { paymentMethodId: null });
  await addThroughCheckout(org, { number: '4000 0000 0000 0341', expiry: '12/30', cvc: '123' });
  const declined = await stack.http.post(path(org, '/top-ups'), owner(org), { credits: 1000 }, { 'idempotency-key': `k-${org}-1` });
  expect(declined.status).toBe(402);
  const put = await expectStatus(stack.http.put(path(org, '/payment-method'), owner(org), { paymentMethodId: 'pm_card_mastercard' }), 200);
  expect(put.paymentMethod).toEqual({ id: 'pm_card_mastercard', brand: 'mastercard', last4: '4444', expMonth: 12, expYear: 2034 });
  expect((await cards(org))[0]).toEqual({ id: 'pm_card_mastercard', brand: 'mastercard', last4: '4444', expMonth: 12, expYear: 2034, isDefault: true });
  const paid = await stack.http.post(path(org, '/top-ups'), owner(org), { credits: 1000 }, { 'idempotency-key': `k-${org}-2` });
  expect(paid.status).toBe(201);
});

test('signed provider events in Stripe\'s shapes: each setup counts once, whatever is repeated', async () => {
  const org = await createOrg(stack, { paymentMethodId: null });
  const { url } = await openSession(org);
  expect((await submit(url, VISA)).status).toBe(303);
  await eventually(async () => {
    if ((await cards(org)).length !== 1) throw new Error('not listed yet');
  });
  const sessionId = url.split('/').pop()!;
  const setupIntent = sessionId.replace('cs_sandbox_', 'seti_sandbox_');
  const deliver = async (id: string, type: string, object: Record<string, unknown>) => {
    const payload = JSON.stringify({ id, object: 'event', type, created: Math.floor(Date.now() / 1000), livemode: false, data: { object } });
    return fetch(`${stack.api.url}/v1/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(payload, stack.settings.stripe.webhookSecret) }, body: payload });
  };
  const completed = { id: sessionId, object: 'checkout.session', mode: 'setup', status: 'complete', customer: null, setup_intent: setupIntent, metadata: { orgId: org } };
  expect((await deliver(`evt_again_${org}`, 'checkout.session.completed', completed)).status).toBe(200);
  expect(await (await deliver(`evt_again_${org}`, 'checkout.session.completed', completed)).json()).toEqual({ received: true, duplicate: true });
  expect((await deliver(`evt_seti_${org}`, 'setup_intent.succeeded', { id: setupIntent, object: 'setup_intent', status: 'succeeded', payment_method: 'pm_card_visa', metadata: { orgId: org } })).status).toBe(200);
  // The provider's record decides (the setup intent saved its own card), not the event's claim.
  expect(await cards(org)).toHaveLength(1);
  const events = (await expectStatus(stack.http.get(path(org, '/events'), owner(org)), 200)).events;
  expect(events.filter((e: { type: string }) => e.type === 'payment_method.updated')).toHaveLength(1);
  // A payment-mode session and a setup-mode one without a setup intent.
  expect((await deliver(`evt_pay_${org}`, 'checkout.session.completed', { ...completed, mode: 'payment', setup_intent: null })).status).toBe(200);
  const malformed = await deliver(`evt_bad_${org}`, 'checkout.session.completed', { ...completed, setup_intent: null });
  expect(malformed.status).toBe(400);
  expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('invalid_event');
});

test("an agency's allocation may name its own card: the estimate names it, the charge uses it, and it is kept while named", async () => {
  const agency = await createOrg(stack, { paymentMethodId: null });
  const sub = await createOrg(stack, { parentId: agency });
  const other = await createOrg(stack, { paymentMethodId: null });
  const visa = await addThroughCheckout(agency, VISA);
  const mastercard = await addThroughCheckout(agency, { number: '5555555555554444', expiry: '05/32', cvc: '123' });
  const theirs = await addThroughCheckout(other, VISA);
  const allocation = path(agency, `/sub-accounts/${sub}/auto-allocation`);
  const refused = await stack.http.put(allocation, owner(agency), { basicMinutes: 10, premiumMinutes: 0, paymentMethodId: theirs });
  expect(refused.status).toBe(404);
  expect(refused.body.error.code).toBe('payment_method_not_found');
  await expectStatus(stack.http.put(path(agency, `/payment-methods/${visa}/default`), owner(agency)), 200);
  const saved = await expectStatus(stack.http.put(allocation, owner(agency), { basicMinutes: 10, premiumMinutes: 0, paymentMethodId: mastercard }), 200);
  expect(saved.paymentMethod).toEqual({ id: mastercard, brand: 'mastercard', last4: '4444', expMonth: 5, expYear: 2032 });
  const charged = await eventually(async () => {
    const { rows } = await stack.db.query('SELECT payment_method_id FROM sandbox_payment_intents WHERE org_id = $1', [agency]);
    if (rows.length === 0) throw new Error('not charged yet');
    return rows;
  });
  expect(charged).toEqual([{ payment_method_id: mastercard }]);
  const kept = await stack.http.del(path(agency, `/payment-methods/${mastercard}`), owner(agency));
  expect(kept.status).toBe(409);
  expect(kept.body.error).toEqual({ code: 'payment_method_in_use', message: `Mastercard •••• 4444 pays the auto allocation of sub-account ${sub}. Choose another card for that allocation first.` });
  // Saved without a card of its own, it follows the default (and the card may go).
  const followsDefault = await expectStatus(stack.http.put(allocation, owner(agency), { basicMinutes: 10, premiumMinutes: 0 }), 200);
  expect(followsDefault.paymentMethod.id).toBe(visa);
  await expectStatus(stack.http.del(path(agency, `/payment-methods/${mastercard}`), owner(agency)), 204);
});

// POST /v1/stripe/webhook: verified on the raw body, each event acted on once, any order harmless
// (payment intents are re-read from the provider; older subscription events are ignored).
import { randomUUID } from 'node:crypto';
import { signPayload } from '../../api/stripeEvents';
import { logger } from '../../observability/logger';
import { createOrg, enableAutoRecharge, eventsOf, expectLedgerMatches, expectStatus, messages, postUsage, settled, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';
import { expectError } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ PAYMENT_RECONCILE_INTERVAL_MS: '600000' });
});
afterAll(() => stack.stop());

function providerEvent(type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { id: `evt_${randomUUID().replace(/-/g, '')}`, object: 'event', type, created: Math.floor(Date.now() / 1000), livemode: false, data: { object }, ...extra };
}

function deliver(event: unknown, secret = stack.settings.stripe.webhookSecret, tamper = false) {
  const payload = JSON.stringify(event);
  const signature = signPayload(payload, secret);
  return stack.http.post('/v1/stripe/webhook', undefined, tamper ? payload.replace('"object"', '"object" ') : payload, { 'stripe-signature': signature });
}

async function waitingIntent(orgId: string): Promise<string> {
  return eventually(async () => {
    const s = await summary(stack, orgId);
    expect(s.pendingPayment?.status).toBe('requires_action');
    return s.pendingPayment!.paymentIntentId!;
  });
}

async function orgWaitingForAuthentication(): Promise<{ orgId: string; intentId: string }> {
  const orgId = await createOrg(stack, { planCredits: 0, paymentMethodId: 'pm_card_authenticationRequired' });
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 100, rechargeCredits: 500, maxRechargesPerMonth: 5 });
  return { orgId, intentId: await waitingIntent(orgId) };
}

test('the signature is checked on the raw body', async () => {
  const event = providerEvent('payment_intent.succeeded', { id: 'pi_x', object: 'payment_intent', metadata: {} });
  expectError(await stack.http.post('/v1/stripe/webhook', undefined, JSON.stringify(event)), 400, 'invalid_signature');
  expectError(await deliver(event, 'whsec_someone_else'), 400, 'invalid_signature');
  expectError(await deliver(event, undefined, true), 400, 'invalid_signature');
  expect((await deliver(event)).status).toBe(200);
});

test('redeliveries of one event are acted on once', async () => {
  const { orgId, intentId } = await orgWaitingForAuthentication();
  await stack.db.query("UPDATE sandbox_payment_intents SET status = 'succeeded' WHERE id = $1", [intentId]);
  const event = providerEvent('payment_intent.succeeded', { id: intentId, object: 'payment_intent', status: 'succeeded', metadata: { orgId } });
  const answers = [await deliver(event), await deliver(event), await deliver(event)];
  expect(answers.map((a) => [a.status, a.body.duplicate])).toEqual([
    [200, false],
    [200, true],
    [200, true],
  ]);
  const s = await settled(stack, orgId, (x) => x.topUpCredits === 500);
  expect(s.autoRecharge.rechargesUsedThisMonth).toBe(1);
  await expectLedgerMatches(stack, orgId);
});

test('event contents are not trusted: the intent is re-read, whatever order events come in', async () => {
  const { orgId, intentId } = await orgWaitingForAuthentication();
  // A stale "requires_action" and a "payment_failed" that the provider contradicts change nothing.
  await expectStatus(deliver(providerEvent('payment_intent.payment_failed', { id: intentId, object: 'payment_intent', status: 'requires_payment_method', metadata: { orgId } })), 200);
  await expectStatus(deliver(providerEvent('payment_intent.requires_action', { id: intentId, object: 'payment_intent', status: 'requires_action', metadata: { orgId } })), 200);
  let s = await summary(stack, orgId);
  expect(s.pendingPayment?.status).toBe('requires_action');
  expect(s.autoRecharge.consecutiveFailures).toBe(0);

  // The provider says it succeeded: a late "payment_failed" event is enough to make the workflow look.
  await stack.db.query("UPDATE sandbox_payment_intents SET status = 'succeeded' WHERE id = $1", [intentId]);
  await expectStatus(deliver(providerEvent('payment_intent.payment_failed', { id: intentId, object: 'payment_intent', status: 'requires_payment_method', metadata: { orgId } })), 200);
  s = await settled(stack, orgId, (x) => x.topUpCredits === 500);
  expect(s.autoRecharge.consecutiveFailures).toBe(0);
  await expectLedgerMatches(stack, orgId);
});

test('subscription events feed the workflow; an older one arriving late is ignored', async () => {
  const orgId = await createOrg(stack, { planCredits: 10, paymentMethodId: null });
  const periodEnd = Math.floor(Date.now() / 1000) + 30 * 86400;
  const subscription = (planCredits: number, status = 'active') => ({
    id: 'sub_1',
    object: 'subscription',
    status,
    customer: 'cus_unknown',
    metadata: { orgId },
    items: { object: 'list', data: [{ id: 'si_1', quantity: 2, current_period_end: periodEnd, price: { id: 'price_1', metadata: { planCredits: String(planCredits) } } }] },
  });
  const now = Math.floor(Date.now() / 1000);
  await expectStatus(deliver(providerEvent('customer.subscription.updated', subscription(1500), { created: now })), 200);
  let s = await summary(stack, orgId);
  expect(s.planCredits).toEqual({ allowance: 3000, remaining: 3000 });
  expect(s.nextRenewalAt).toBe(new Date(periodEnd * 1000).toISOString());

  await expectStatus(deliver(providerEvent('customer.subscription.created', subscription(999), { created: now - 60 })), 200);
  expect((await summary(stack, orgId)).planCredits.allowance).toBe(3000);

  await expectStatus(deliver(providerEvent('customer.subscription.deleted', subscription(1500, 'canceled'), { created: now + 1 })), 200);
  s = await summary(stack, orgId);
  expect(s.subscription).toEqual({ status: 'canceled' });
});

/** A subscription object as Stripe sends it: plan credits per unit in the price's metadata, times the quantity. */
function stripeSubscription(orgId: string, planCredits: unknown, { quantity = 1 as unknown, periodEnd = Math.floor(Date.now() / 1000) + 30 * 86400 } = {}) {
  return {
    id: 'sub_1',
    object: 'subscription',
    status: 'active',
    customer: 'cus_unknown',
    metadata: { orgId },
    items: { object: 'list', data: [{ id: 'si_1', quantity, current_period_end: periodEnd, price: { id: 'price_1', metadata: { planCredits } } }] },
  };
}

/** Each call a second later than the last, so every event is the newest for its organization. */
let eventClock = Math.floor(Date.now() / 1000);
const subscriptionEvent = (object: Record<string, unknown>) => providerEvent('customer.subscription.updated', object, { created: ++eventClock });

async function subscriptionEvents(orgId: string): Promise<number> {
  return (await eventsOf(stack, orgId)).filter((e) => e.type === 'subscription.updated').length;
}

test('a downgrade and an upgrade from Stripe in one period never give spent plan credits back', async () => {
  const periodEnd = Math.floor(Date.now() / 1000) + 30 * 86400;
  const orgId = await createOrg(stack, { planCredits: 10, paymentMethodId: null });
  await expectStatus(deliver(subscriptionEvent(stripeSubscription(orgId, '500', { quantity: 2, periodEnd }))), 200);
  await postUsage(stack, orgId, messages(1000));
  for (const perUnit of ['0', '500', '0', '500']) {
    await expectStatus(deliver(subscriptionEvent(stripeSubscription(orgId, perUnit, { quantity: 2, periodEnd }))), 200);
    expect((await settled(stack, orgId)).planCredits).toEqual({ allowance: Number(perUnit) * 2, remaining: 0 });
  }
  await expectLedgerMatches(stack, orgId);
});

test.each([
  ['planCredits above 2^53', '9007199254740993', 1],
  ['planCredits above the API bound', '1000000001', 1],
  ['planCredits × quantity above the API bound', '1000000000', 1_000_000_000],
  ['planCredits × quantity above bigint', '999999999', 99_999_999_999],
  ['a quantity above 2^53', '1', 2 ** 60],
  ['a fractional quantity', '10', 1.5],
  ['a negative quantity', '10', -1],
  ['planCredits "abc"', 'abc', 1],
  ['planCredits "-5"', '-5', 1],
  ['planCredits "1.5"', '1.5', 1],
  ['planCredits "1e3"', '1e3', 1],
  ['planCredits as a number', 100, 1],
])('a signed subscription event with %s is refused, logged, and the plan stays', async (_name, planCredits, quantity) => {
  const periodEnd = Math.floor(Date.now() / 1000) + 30 * 86400;
  const orgId = await createOrg(stack, { planCredits: 700, paymentMethodId: null, periodEnd: new Date(periodEnd * 1000).toISOString() });
  const before = await subscriptionEvents(orgId);
  const event = subscriptionEvent(stripeSubscription(orgId, planCredits, { quantity, periodEnd }));
  const warn = jest.spyOn(logger, 'warn');
  expectError(await deliver(event), 400, 'invalid_event');
  expect(warn).toHaveBeenCalledWith(expect.objectContaining({ eventId: event.id, type: event.type }), 'provider event refused');
  warn.mockRestore();
  // Refused, not acted on: a redelivery is refused again rather than taken for a duplicate.
  expectError(await deliver(event), 400, 'invalid_event');
  const s = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/billing`, stack.token('ops')), 200);
  expect(s.planCredits).toEqual({ allowance: 700, remaining: 700 });
  expect(s.subscription).toEqual({ status: 'active' });
  await expectStatus(stack.http.get(`/v1/orgs/${orgId}/agents/agent-1/allowance`, stack.token('service')), 200);
  await postUsage(stack, orgId, messages(5));
  expect((await settled(stack, orgId)).planCredits).toEqual({ allowance: 700, remaining: 695 });
  expect(await subscriptionEvents(orgId)).toBe(before);
  // The organization goes on taking valid events.
  await expectStatus(deliver(subscriptionEvent(stripeSubscription(orgId, '800', { periodEnd }))), 200);
  expect((await settled(stack, orgId)).planCredits).toEqual({ allowance: 800, remaining: 795 });
  await expectLedgerMatches(stack, orgId);
});

test('a period end no timestamp can hold is refused and the plan stays', async () => {
  const orgId = await createOrg(stack, { planCredits: 700, paymentMethodId: null });
  expectError(await deliver(subscriptionEvent(stripeSubscription(orgId, '100', { periodEnd: 1e15 }))), 400, 'invalid_event');
  expect((await summary(stack, orgId)).planCredits).toEqual({ allowance: 700, remaining: 700 });
});

test('the same event delivered three times at once is acted on once', async () => {
  const orgId = await createOrg(stack, { planCredits: 10, paymentMethodId: null });
  const before = await subscriptionEvents(orgId);
  const event = subscriptionEvent(stripeSubscription(orgId, '250'));
  const answers = await Promise.all([deliver(event), deliver(event), deliver(event)]);
  // One acts; the others are duplicates, or told to come back while it acts (no 2xx before it is done).
  expect(answers.filter((a) => a.status === 200 && a.body.duplicate === false)).toHaveLength(1);
  for (const answer of answers.filter((a) => !(a.status === 200 && a.body.duplicate === false))) {
    if (answer.status === 200) expect(answer.body.duplicate).toBe(true);
    else expectError(answer, 409, 'event_in_progress');
  }
  expect((await settled(stack, orgId)).planCredits).toEqual({ allowance: 250, remaining: 250 });
  expect(await subscriptionEvents(orgId)).toBe(before + 1);
  // Once acted on, every later delivery is a duplicate.
  expect((await deliver(event)).body).toEqual({ received: true, duplicate: true });
  expect(await subscriptionEvents(orgId)).toBe(before + 1);
});

test('a claim left by a delivery that died is taken by the next delivery once it lapsed', async () => {
  const orgId = await createOrg(stack, { planCredits: 10, paymentMethodId: null });
  const event = subscriptionEvent(stripeSubscription(orgId, '300'));
  await stack.db.query("INSERT INTO webhook_events (id, type, claimed_until) VALUES ($1, $2, now() - interval '1 second')", [event.id, event.type]);
  expect((await deliver(event)).body).toEqual({ received: true, duplicate: false });
  expect((await summary(stack, orgId)).planCredits).toEqual({ allowance: 300, remaining: 300 });
});

test('payment_method.attached and detached follow the customer to its organization', async () => {
  const orgId = await createOrg(stack, { planCredits: 10, paymentMethodId: null });
  const customer = `cus_${orgId}`;
  await stack.db.query('INSERT INTO stripe_customers (org_id, customer_id) VALUES ($1, $2)', [orgId, customer]);
  await expectStatus(deliver(providerEvent('payment_method.attached', { id: 'pm_card_visa', object: 'payment_method', customer })), 200);
  expect((await summary(stack, orgId)).paymentMethod).toEqual({ id: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034 });
  await expectStatus(
    deliver(providerEvent('payment_method.detached', { id: 'pm_card_visa', object: 'payment_method', customer: null }, { data: { object: { id: 'pm_card_visa', object: 'payment_method', customer: null }, previous_attributes: { customer } } })),
    200,
  );
  expect((await summary(stack, orgId)).paymentMethod).toBeNull();
});

test.each([
  ['an array', []],
  ['a number', 42],
  ['a null id', { id: null, object: 'event', type: 'payment_intent.succeeded', created: 1, data: { object: { id: 'pi_x', object: 'payment_intent' } } }],
  ['no type', { id: 'evt_no_type', object: 'event', created: 1, data: { object: { id: 'pi_x' } } }],
  ['a null data.object', providerEvent('payment_intent.succeeded', null as unknown as Record<string, unknown>)],
  ['no data', { id: 'evt_no_data', object: 'event', type: 'customer.subscription.updated', created: 1 }],
  ['an object id with a NUL byte', providerEvent('payment_intent.succeeded', { id: 'pi_\u0000', object: 'payment_intent', metadata: {} })],
])('a validly signed event with %s is 400 invalid_event, not a 500 Stripe retries for days', async (_name, event) => {
  expectError(await deliver(event), 400, 'invalid_event');
});

test('a validly signed event naming an organization or customer with control characters is acknowledged and changes nothing', async () => {
  const intent = { id: 'pi_ctl', object: 'payment_intent', status: 'succeeded', metadata: { orgId: 'acme\u0000' } };
  expect((await deliver(providerEvent('payment_intent.succeeded', intent))).status).toBe(200);
  const method = { id: 'pm_card_visa', object: 'payment_method', customer: 'cus_\u0000' };
  expect((await deliver(providerEvent('payment_method.attached', method))).status).toBe(200);
});

test('confirming an intent that already succeeded is 409 and delivers no second webhook', async () => {
  const { orgId, intentId } = await orgWaitingForAuthentication();
  const confirm = () => stack.http.post(`/v1/sandbox/payment-intents/${intentId}/confirm`, stack.token('ops'));
  const deliveries = async () => (await stack.db.query("SELECT count(*)::int AS n FROM webhook_events WHERE type = 'payment_intent.succeeded'")).rows[0].n;
  expect(await expectStatus(confirm(), 200)).toEqual({ paymentIntent: { id: intentId, status: 'succeeded' }, webhookDelivered: true });
  await settled(stack, orgId, (x) => x.topUpCredits === 500);
  const before = await deliveries();
  expectError(await confirm(), 409, 'payment_intent_not_confirmable');
  expect(await deliveries()).toBe(before);
  expect((await summary(stack, orgId)).topUpCredits).toBe(500);
});

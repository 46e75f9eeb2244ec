// POST /v1/stripe/webhook: verified on the raw body, each event acted on once, any order harmless
// (payment intents are re-read from the provider; older subscription events are ignored).
import { randomUUID } from 'node:crypto';
import { signPayload } from '../../api/stripeEvents';
import { createOrg, enableAutoRecharge, expectLedgerMatches, expectStatus, settled, summary } from '../helpers/billing';
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

test('payment_method.attached and detached follow the customer to its organization', async () => {
  const orgId = await createOrg(stack, { planCredits: 10, paymentMethodId: null });
  const customer = `cus_${orgId}`;
  await stack.db.query('INSERT INTO stripe_customers (org_id, customer_id) VALUES ($1, $2)', [orgId, customer]);
  await expectStatus(deliver(providerEvent('payment_method.attached', { id: 'pm_card_visa', object: 'payment_method', customer })), 200);
  expect((await summary(stack, orgId)).paymentMethod).toEqual({ id: 'pm_card_visa' });
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

// 3-D Secure on a real worker: the payment waits (nothing else starts), credits come once when the
// customer authenticates (webhook), and an unauthenticated payment is cancelled at the timeout.
import { createOrg, enableAutoRecharge, eventsOf, expectLedgerMatches, expectStatus, messages, postUsage, settled, summary } from '../helpers/billing';
import { signPayload } from '../../api/stripeEvents';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  // Reconciliation far away: here only webhooks and the timeout move a waiting payment.
  stack = await startStack({ PAYMENT_ACTION_TIMEOUT_MS: '4000', PAYMENT_RECONCILE_INTERVAL_MS: '600000' });
});
afterAll(() => stack.stop());

const confirm = (intentId: string) => stack.http.post(`/v1/sandbox/payment-intents/${intentId}/confirm`, stack.token('ops'));

async function intents(orgId: string) {
  const { rows } = await stack.db.query('SELECT id, status FROM sandbox_payment_intents WHERE org_id = $1 ORDER BY created_at', [orgId]);
  return rows;
}

async function waitingPayment(orgId: string) {
  return eventually(async () => {
    const s = await summary(stack, orgId);
    expect(s.pendingPayment).toMatchObject({ status: 'requires_action', clientSecret: expect.stringContaining('_secret_') });
    return s.pendingPayment!;
  });
}

test('an auto-recharge waiting for authentication blocks other payments and credits once on completion', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_authenticationRequired' });
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 5 });
  const pending = await waitingPayment(orgId);
  expect(pending).toMatchObject({ kind: 'auto_recharge', credits: 1000, paymentIntentId: expect.stringMatching(/^pi_/) });

  await postUsage(stack, orgId, messages(50));
  expect(await intents(orgId)).toHaveLength(1);
  const requiresAction = (await eventsOf(stack, orgId)).filter((e) => e.type === 'payment.requires_action');
  expect(requiresAction).toHaveLength(1);

  expect((await expectStatus(confirm(pending.paymentIntentId!), 200)).webhookDelivered).toBe(true);
  let s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s.topUpCredits).toBe(1000);
  expect(s.availableCredits).toBe(100 - 50 + 1000);

  // Confirming again is refused and delivers no second event: nothing more is credited.
  expect((await confirm(pending.paymentIntentId!)).status).toBe(409);
  s = await settled(stack, orgId);
  expect(s.topUpCredits).toBe(1000);
  expect((await eventsOf(stack, orgId)).filter((e) => e.type === 'auto_recharge.succeeded')).toHaveLength(1);
  await expectLedgerMatches(stack, orgId);
});

test('a payment not authenticated in time is cancelled and counts as a failed attempt', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_authenticationRequired' });
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 5 });
  const pending = await waitingPayment(orgId);

  const s = await eventually(async () => {
    const current = await summary(stack, orgId);
    expect(current.pendingPayment).toBeNull();
    return current;
  }, 20_000);
  expect(s.autoRecharge.consecutiveFailures).toBe(1);
  expect(s.topUpCredits).toBe(0);
  expect(await intents(orgId)).toEqual([{ id: pending.paymentIntentId, status: 'canceled' }]);
  const failed = (await eventsOf(stack, orgId)).filter((e) => e.type === 'auto_recharge.failed');
  expect(failed).toEqual([expect.objectContaining({ data: expect.objectContaining({ declineCode: 'authentication_timeout' }) })]);

  const late = await confirm(pending.paymentIntentId!);
  expect(late.status).toBe(409);
  expect((await summary(stack, orgId)).topUpCredits).toBe(0);
});

test('a manual top-up needing authentication answers 202 with the client secret, then credits on completion', async () => {
  const orgId = await createOrg(stack, { planCredits: 0, paymentMethodId: 'pm_card_authenticationRequired' });
  const owner = stack.token('owner', orgId);
  const topUp = () => stack.http.post(`/v1/orgs/${orgId}/top-ups`, owner, { credits: 700 }, { 'idempotency-key': 'tu-3ds-1' });
  const first = await expectStatus(topUp(), 202);
  expect(first.topUp).toMatchObject({ credits: 700, amountCents: 1400, status: 'requires_action', clientSecret: expect.stringContaining('_secret_') });
  expect((await summary(stack, orgId)).pendingPayment).toMatchObject({ kind: 'top_up', status: 'requires_action' });

  const intentId = (await intents(orgId))[0].id;
  await expectStatus(confirm(intentId), 200);
  const s = await settled(stack, orgId, (x) => x.topUpCredits === 700);
  expect(s.autoRecharge.rechargesUsedThisMonth).toBe(0);
  const again = await expectStatus(topUp(), 201);
  expect(again).toEqual({ topUp: { id: first.topUp.id, credits: 700, amountCents: 1400, status: 'succeeded' }, message: 'Credits topped up successfully.' });
  expect(await intents(orgId)).toHaveLength(1);
  await expectLedgerMatches(stack, orgId);
});

test('a failed authentication is cancelled at the provider before it settles, so it can never be charged later', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_authenticationRequired' });
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 5 });
  const pending = await waitingPayment(orgId);
  // The customer fails the challenge: the intent stays confirmable at the provider.
  await stack.db.query(
    "UPDATE sandbox_payment_intents SET status = 'requires_payment_method', decline_code = 'authentication_failed', message = 'Authentication failed.' WHERE id = $1",
    [pending.paymentIntentId],
  );
  const payload = JSON.stringify({
    id: `evt_fail_${orgId}`,
    object: 'event',
    type: 'payment_intent.payment_failed',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: pending.paymentIntentId, object: 'payment_intent', metadata: { orgId } } },
  });
  await expectStatus(
    stack.http.post('/v1/stripe/webhook', undefined, payload, { 'stripe-signature': signPayload(payload, stack.settings.stripe.webhookSecret) }),
    200,
  );
  const s = await eventually(async () => {
    const current = await summary(stack, orgId);
    expect(current.pendingPayment).toBeNull();
    return current;
  });
  expect(s.autoRecharge.consecutiveFailures).toBe(1);
  expect(await intents(orgId)).toEqual([{ id: pending.paymentIntentId, status: 'canceled' }]);
  const failed = (await eventsOf(stack, orgId)).filter((e) => e.type === 'auto_recharge.failed');
  expect(failed).toEqual([expect.objectContaining({ data: expect.objectContaining({ declineCode: 'authentication_failed' }) })]);
});

// A lost webhook never loses a payment: the workflow re-reads a waiting intent from the provider.
import { createOrg, enableAutoRecharge, eventsOf, expectLedgerMatches, settled, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ PAYMENT_RECONCILE_INTERVAL_MS: '1000' });
});
afterAll(() => stack.stop());

test('a payment completed at the provider without a webhook is credited by reconciliation', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_authenticationRequired' });
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 5 });
  const pending = await eventually(async () => {
    const s = await summary(stack, orgId);
    expect(s.pendingPayment?.status).toBe('requires_action');
    return s.pendingPayment!;
  });

  // The customer authenticates with the bank; the webhook never arrives.
  await stack.db.query("UPDATE sandbox_payment_intents SET status = 'succeeded' WHERE id = $1", [pending.paymentIntentId]);

  const s = await settled(stack, orgId, (x) => x.topUpCredits === 1000);
  expect(s.autoRecharge.rechargesUsedThisMonth).toBe(1);
  expect((await eventsOf(stack, orgId)).filter((e) => e.type === 'auto_recharge.succeeded')).toHaveLength(1);
  await expectLedgerMatches(stack, orgId);
});

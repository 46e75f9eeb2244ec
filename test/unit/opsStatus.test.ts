// What operators see of an organization: its auto-recharge state, payment status and details.
import { DISABLED_AFTER_DISPUTE_MESSAGE, INITIAL_COUNTERS } from '../../domain/autoRecharge';
import { autoRechargeState, currentDetails, paymentStatus } from '../../domain/opsStatus';
import { initialOrgBilling, type OrgBillingRecord } from '../../domain/orgBilling';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const on = { enabled: true, thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 3 };

function record(change: Partial<OrgBillingRecord> = {}): OrgBillingRecord {
  return { ...initialOrgBilling(), ...change };
}

test('auto-recharge: off, on, capped, in backoff, or disabled by failures', () => {
  expect(autoRechargeState(record(), NOW)).toBe('off');
  expect(autoRechargeState(record({ autoRecharge: on }), NOW)).toBe('on');
  expect(autoRechargeState(record({ autoRecharge: on, counters: { ...INITIAL_COUNTERS, rechargesUsedThisMonth: 3 } }), NOW)).toBe('capped');
  expect(autoRechargeState(record({ autoRecharge: on, counters: { ...INITIAL_COUNTERS, nextAttemptAt: NOW + 1 } }), NOW)).toBe('backoff');
  expect(autoRechargeState(record({ autoRecharge: on, counters: { ...INITIAL_COUNTERS, nextAttemptAt: NOW } }), NOW)).toBe('on');
  expect(autoRechargeState(record({ counters: { ...INITIAL_COUNTERS, disabledReason: 'why' } }), NOW)).toBe('disabled_after_failures');
  expect(autoRechargeState(record({ counters: { ...INITIAL_COUNTERS, disabledReason: DISABLED_AFTER_DISPUTE_MESSAGE } }), NOW)).toBe('disabled_after_dispute');
});

test('payment status follows the payment in flight', () => {
  expect(paymentStatus(record())).toBe('none');
  const payment = { id: 'pay_x_1', kind: 'auto_recharge' as const, credits: 1000, amountCents: 2000, paymentMethodId: 'pm', paymentIntentId: 'pi_1', clientSecret: 's', startedAt: '', checkAfter: null };
  expect(paymentStatus(record({ pendingPayment: { ...payment, status: 'requires_action' } }))).toBe('requires_action');
  expect(paymentStatus(record({ pendingPayment: { ...payment, status: 'processing' } }))).toBe('processing');
});

test('current details read the organization at a glance', () => {
  const details = currentDetails(
    record({
      autoRecharge: on,
      counters: { ...INITIAL_COUNTERS, rechargesUsedThisMonth: 1, lastRechargedAt: '2026-11-30T10:00:00.000Z' },
      subscription: { status: 'active', planCredits: 5000, currentPeriodEnd: '2026-12-15T00:00:00.000Z' },
    }),
    420,
    NOW,
  );
  expect(details.split('\n')).toEqual([
    '**Available credits** (at the last decision): 420',
    '**Auto-recharge**: on, 1/3 recharges used this month (below 500, +1000)',
    '**Last recharge**: 2026-11-30T10:00:00.000Z',
    '**Pending payment**: none',
    '**Next renewal**: 2026-12-15T00:00:00.000Z (active, 5000 plan credits)',
  ]);
});

test('current details show a to_target recharge by its target', () => {
  const details = currentDetails(record({ autoRecharge: { ...on, mode: 'to_target', targetCredits: 4000 } }), 420, NOW);
  expect(details.split('\n')[1]).toBe('**Auto-recharge**: on, 0/3 recharges used this month (below 500, up to 4000)');
});

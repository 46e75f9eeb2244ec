// Declined auto-recharges: backoff, the failure count, disabling after 3, and what re-enables.
import { DISABLED_AFTER_FAILURES_MESSAGE } from '../../domain/autoRecharge';
import { createOrg, eventsOf, expectLedgerMatches, expectStatus, settled, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

const RETRY_DELAY_MS = 1500;
let stack: Stack;

function withRetryDelay(ms: number) {
  beforeAll(async () => {
    stack = await startStack({ AUTO_RECHARGE_RETRY_DELAY_MS: String(ms) });
  });
  afterAll(() => stack.stop());
}

const AUTO_RECHARGE = { enabled: true, thresholdCredits: 2000, rechargeCredits: 500, maxRechargesPerMonth: 10 };

async function attempts(orgId: string) {
  const { rows } = await stack.db.query<{ created_at: Date; status: string }>(
    'SELECT created_at, status FROM sandbox_payment_intents WHERE org_id = $1 ORDER BY created_at',
    [orgId],
  );
  return rows;
}

describe('with a short backoff', () => {
  withRetryDelay(RETRY_DELAY_MS);

  test('three consecutive declines, each after the backoff, disable auto-recharge with the spec text', async () => {
    const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_chargeDeclined' });
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, stack.token('owner', orgId), AUTO_RECHARGE), 200);

    const s = await eventually(async () => {
      const current = await summary(stack, orgId);
      expect(current.autoRecharge.enabled).toBe(false);
      return current;
    }, 15_000);
    expect(s.autoRecharge.consecutiveFailures).toBe(3);
    expect(s.autoRecharge.disabledReason).toBe(DISABLED_AFTER_FAILURES_MESSAGE);
    expect(s.topUpCredits).toBe(0);

    const rows = await attempts(orgId);
    expect(rows.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i].created_at.getTime() - rows[i - 1].created_at.getTime()).toBeGreaterThanOrEqual(RETRY_DELAY_MS - 5);
    }
    const events = await eventsOf(stack, orgId);
    expect(events.filter((e) => e.type === 'auto_recharge.failed')).toHaveLength(3);
    const disabled = events.filter((e) => e.type === 'auto_recharge.disabled');
    expect(disabled).toHaveLength(1);
    expect(disabled[0].message).toBe(DISABLED_AFTER_FAILURES_MESSAGE);
    await expectLedgerMatches(stack, orgId);

    // A new card does not re-enable it; the Owner does.
    const owner = stack.token('owner', orgId);
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' }), 200);
    expect((await summary(stack, orgId)).autoRecharge.enabled).toBe(false);
    expect(await attempts(orgId)).toHaveLength(3);

    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, owner, AUTO_RECHARGE), 200);
    const after = await settled(stack, orgId, (x) => x.availableCredits >= 2000);
    expect(after.autoRecharge).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledReason: null, rechargesUsedThisMonth: 4 });
  });
});

// A backoff far longer than the test: a retry seen before the card changes would be a retry at once.
describe('with a long backoff', () => {
  withRetryDelay(10 * 60 * 1000);

  test('a declined attempt is not retried at once, and a success resets the failure count', async () => {
    const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_chargeDeclinedInsufficientFunds' });
    const owner = stack.token('owner', orgId);
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, owner, AUTO_RECHARGE), 200);
    const failed = await eventually(async () => {
      const s = await summary(stack, orgId);
      expect(s.autoRecharge.consecutiveFailures).toBe(1);
      expect(s.pendingPayment).toBeNull();
      return s;
    });
    expect(failed.autoRecharge.enabled).toBe(true);
    const failure = (await eventsOf(stack, orgId)).find((e) => e.type === 'auto_recharge.failed')!;
    expect(failure.data.declineCode).toBe('insufficient_funds');
    expect(await attempts(orgId)).toHaveLength(1);

    // A working card is tried at once (the backoff was for the card that declined).
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' }), 200);
    const s = await settled(stack, orgId, (x) => x.availableCredits >= 2000);
    expect(s.autoRecharge.consecutiveFailures).toBe(0);
    expect(s.autoRecharge.rechargesUsedThisMonth).toBe(4);
    await expectLedgerMatches(stack, orgId);
  });
});

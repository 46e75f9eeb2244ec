// The pool changes the workflow decides, applied to the pools as they are at commit time.
import { applyLedgerChange, planRemainingFor } from '../../domain/orgBilling';

test('a credit adds to the wallet under the payment id', () => {
  expect(applyLedgerChange({ pools: { planRemaining: 10, wallet: -5 }, planGranted: 40 }, { type: 'credit', kind: 'auto_recharge', credits: 500, ref: 'pay_x_1' })).toEqual({
    entry: { kind: 'auto_recharge', pool: 'wallet', credits: 500, ref: 'pay_x_1' },
    pools: { planRemaining: 10, wallet: 495 },
    planGranted: 40,
  });
});

test('a new period resets plan credits to the allowance, whatever usage left', () => {
  expect(applyLedgerChange({ pools: { planRemaining: 37, wallet: 0 }, planGranted: 500 }, { type: 'startPeriod', planCredits: 1000, ref: 'renewal-2' })).toEqual({
    entry: { kind: 'plan_renewal', pool: 'plan', credits: 963, ref: 'renewal-2' },
    pools: { planRemaining: 1000, wallet: 0 },
    planGranted: 1000,
  });
  // Nothing moves, nothing is written; the period's grant is the allowance all the same.
  const unchanged = applyLedgerChange({ pools: { planRemaining: 1000, wallet: 0 }, planGranted: 1200 }, { type: 'startPeriod', planCredits: 1000, ref: 'renewal-3' });
  expect(unchanged.entry).toBeNull();
  expect(unchanged.planGranted).toBe(1000);
});

test('a plan change within the period gives the new allowance less what the period used, never below zero', () => {
  // 1,000 granted, 700 used.
  expect(applyLedgerChange({ pools: { planRemaining: 300, wallet: 0 }, planGranted: 1000 }, { type: 'adjustPlan', planCredits: 1500, ref: 'plan-change-4' })).toEqual({
    entry: { kind: 'adjustment', pool: 'plan', credits: 500, ref: 'plan-change-4' },
    pools: { planRemaining: 800, wallet: 0 },
    planGranted: 1500,
  });
  expect(applyLedgerChange({ pools: { planRemaining: 300, wallet: 0 }, planGranted: 1000 }, { type: 'adjustPlan', planCredits: 200, ref: 'plan-change-5' })).toEqual({
    entry: { kind: 'adjustment', pool: 'plan', credits: -300, ref: 'plan-change-5' },
    pools: { planRemaining: 0, wallet: 0 },
    planGranted: 700,
  });
});

test('lowering the plan and raising it again in one period never gives spent plan credits back', () => {
  // Plan 1,000, all used; down to 0 and back to 1,000, twice.
  let current = { pools: { planRemaining: 0, wallet: 0 }, planGranted: 1000 };
  for (const planCredits of [0, 1000, 0, 1000]) {
    const applied = applyLedgerChange(current, { type: 'adjustPlan', planCredits, ref: `plan-change-${planCredits}` });
    expect(applied.entry).toBeNull();
    current = applied;
  }
  expect(current.pools.planRemaining).toBe(0);
  // Raised above what was used: only the difference is new.
  expect(applyLedgerChange(current, { type: 'adjustPlan', planCredits: 1500, ref: 'plan-change-up' }).pools.planRemaining).toBe(500);
});

test('plan credits left are the allowance less what was used, never below zero', () => {
  expect(planRemainingFor(1000, 0)).toBe(1000);
  expect(planRemainingFor(1000, 400)).toBe(600);
  expect(planRemainingFor(1000, 1000)).toBe(0);
  expect(planRemainingFor(0, 1000)).toBe(0);
});

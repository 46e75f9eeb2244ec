// The pool changes the workflow decides, applied to the pools as they are at commit time.
import { applyLedgerChange } from '../../domain/orgBilling';

test('a credit adds to the wallet under the payment id', () => {
  expect(applyLedgerChange({ planRemaining: 10, wallet: -5 }, { type: 'credit', kind: 'auto_recharge', credits: 500, ref: 'pay_x_1' })).toEqual({
    entry: { kind: 'auto_recharge', pool: 'wallet', credits: 500, ref: 'pay_x_1' },
    pools: { planRemaining: 10, wallet: 495 },
  });
});

test('a new period resets plan credits to the allowance, whatever usage left', () => {
  expect(applyLedgerChange({ planRemaining: 37, wallet: 0 }, { type: 'startPeriod', planCredits: 1000, ref: 'renewal-2' })).toEqual({
    entry: { kind: 'plan_renewal', pool: 'plan', credits: 963, ref: 'renewal-2' },
    pools: { planRemaining: 1000, wallet: 0 },
  });
  // Nothing moves, nothing is written.
  expect(applyLedgerChange({ planRemaining: 1000, wallet: 0 }, { type: 'startPeriod', planCredits: 1000, ref: 'renewal-3' }).entry).toBeNull();
});

test('a plan change within the period moves the remainder by the difference, never below zero', () => {
  expect(applyLedgerChange({ planRemaining: 300, wallet: 0 }, { type: 'adjustPlan', previousPlanCredits: 1000, planCredits: 1500, ref: 'plan-change-4' })).toEqual({
    entry: { kind: 'adjustment', pool: 'plan', credits: 500, ref: 'plan-change-4' },
    pools: { planRemaining: 800, wallet: 0 },
  });
  expect(applyLedgerChange({ planRemaining: 300, wallet: 0 }, { type: 'adjustPlan', previousPlanCredits: 1000, planCredits: 200, ref: 'plan-change-5' }).pools.planRemaining).toBe(0);
});

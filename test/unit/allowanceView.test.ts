import { allowanceViewOf, viewAllowance, withUsage, type AllowanceView } from '../../domain/allowanceView';
import { applyDebit, splitDebit } from '../../domain/pools';
import { initialState, type OrgState } from '../../domain/state';
import { agentAllowance } from '../../domain/summary';

function state(): OrgState {
  const s = initialState('org_1', 'run_1');
  s.subscription = { status: 'active', planCredits: 100, currentPeriodEnd: '2025-07-01T00:00:00.000Z' };
  s.pools = { planRemaining: 30, topUp: 5 };
  s.agents = {
    capped: { spentThisMonth: 8, monthlyLimitCredits: 10, whenPlanExhausted: 'use_balance' },
    stopper: { spentThisMonth: 0, monthlyLimitCredits: null, whenPlanExhausted: 'stop' },
    plain: { spentThisMonth: 50, monthlyLimitCredits: null, whenPlanExhausted: 'use_balance' },
  };
  return s;
}

test('the view keeps only agents whose own settings matter, and answers as the state does', () => {
  const s = state();
  const view = allowanceViewOf(s);
  expect(Object.keys(view.agents).sort()).toEqual(['capped', 'stopper']);
  for (const agentId of ['capped', 'stopper', 'plain', 'never-seen']) expect(viewAllowance(view, agentId)).toEqual(agentAllowance(s, agentId));
});

test('usage applied to a view spends plan credits first, then the wallet, and counts limited agents', () => {
  const s = state();
  const usage = [
    { agentId: 'capped', credits: 3 },
    { agentId: 'plain', credits: 30 },
  ];
  const view = withUsage(allowanceViewOf(s), usage);
  // The workflow's own rules, applied to the state.
  for (const { agentId, credits } of usage) {
    s.pools = applyDebit(s.pools, splitDebit(s.pools, credits));
    s.agents[agentId].spentThisMonth += credits;
  }
  expect(view).toEqual(allowanceViewOf(s));
  expect(view.pools).toEqual({ planRemaining: 0, topUp: 2 });
  expect(viewAllowance(view, 'capped')).toEqual({ allowed: true, reason: null });
  expect(viewAllowance(view, 'stopper')).toEqual({ allowed: false, reason: 'plan_exhausted' });
});

test('a view is not changed by applying usage to it: a new one is returned', () => {
  const view: AllowanceView = allowanceViewOf(state());
  const before = JSON.stringify(view);
  withUsage(view, [{ agentId: 'capped', credits: 5 }]);
  expect(JSON.stringify(view)).toBe(before);
});

import { allowance, NEW_AGENT, planHeadroom, underMonthlyLimit, type AgentState, type WhenPlanExhausted } from '../../domain/agents';

const agent = (whenPlanExhausted: WhenPlanExhausted, spentThisMonth = 0, monthlyLimitCredits: number | null = null): AgentState => ({
  spentThisMonth,
  monthlyLimitCredits,
  whenPlanExhausted,
});

describe('NEW_AGENT', () => {
  it('defaults to use_balance, no monthly limit, nothing spent', () => {
    expect(NEW_AGENT).toEqual({ spentThisMonth: 0, monthlyLimitCredits: null, whenPlanExhausted: 'use_balance' });
  });
});

describe('underMonthlyLimit', () => {
  it.each`
    spent     | limit   | under
    ${0}      | ${null} | ${true}
    ${10_000} | ${null} | ${true}
    ${99}     | ${100}  | ${true}
    ${100}    | ${100}  | ${false}
    ${101}    | ${100}  | ${false}
    ${0}      | ${0}    | ${false}
  `('spent $spent, limit $limit -> $under', ({ spent, limit, under }) => {
    expect(underMonthlyLimit(agent('use_balance', spent, limit))).toBe(under);
  });
});

describe('planHeadroom', () => {
  it.each`
    spent  | limit   | headroom
    ${500} | ${null} | ${Number.POSITIVE_INFINITY}
    ${60}  | ${100}  | ${40}
    ${100} | ${100}  | ${0}
    ${150} | ${100}  | ${0}
  `('spent $spent, limit $limit -> $headroom plan credits it may still spend', ({ spent, limit, headroom }) => {
    expect(planHeadroom({ spentThisMonth: spent, monthlyLimitCredits: limit })).toBe(headroom);
  });
});

describe('allowance (spec §6)', () => {
  it.each(['stop', 'use_balance'] as const)('%s agent: subscription_inactive comes first, even with credits left', (mode) => {
    expect(allowance(agent(mode), { planRemaining: 1000, wallet: 1000 }, false)).toEqual({ allowed: false, reason: 'subscription_inactive' });
  });

  it.each`
    mode             | spent  | limit   | planRemaining | wallet  | allowed  | reason                    | case
    ${'stop'}        | ${0}   | ${null} | ${1}          | ${0}    | ${true}  | ${null}                   | ${'plan credits remain, no limit'}
    ${'use_balance'} | ${0}   | ${null} | ${1}          | ${-50}  | ${true}  | ${null}                   | ${'plan credits remain, wallet in debt'}
    ${'stop'}        | ${99}  | ${100}  | ${500}        | ${0}    | ${true}  | ${null}                   | ${'plan credits remain, under limit'}
    ${'stop'}        | ${100} | ${100}  | ${500}        | ${0}    | ${false} | ${'agent_limit_reached'}  | ${'stop agent at its limit, plan remains'}
    ${'stop'}        | ${100} | ${100}  | ${500}        | ${1000} | ${false} | ${'agent_limit_reached'}  | ${'stop agent at its limit never uses the wallet'}
    ${'stop'}        | ${0}   | ${0}    | ${500}        | ${0}    | ${false} | ${'agent_limit_reached'}  | ${'limit 0 blocks a stop agent at once'}
    ${'stop'}        | ${0}   | ${null} | ${0}          | ${0}    | ${false} | ${'plan_exhausted'}       | ${'stop agent, plan used up'}
    ${'stop'}        | ${0}   | ${null} | ${0}          | ${1000} | ${false} | ${'plan_exhausted'}       | ${'stop agent, plan used up, wallet ignored'}
    ${'stop'}        | ${50}  | ${100}  | ${0}          | ${1000} | ${false} | ${'plan_exhausted'}       | ${'stop agent under limit, plan used up'}
    ${'stop'}        | ${150} | ${100}  | ${0}          | ${1000} | ${false} | ${'agent_limit_reached'}  | ${'stop agent over limit and plan used up'}
    ${'use_balance'} | ${0}   | ${null} | ${0}          | ${1}    | ${true}  | ${null}                   | ${'use_balance, plan used up, wallet positive'}
    ${'use_balance'} | ${0}   | ${null} | ${0}          | ${0}    | ${false} | ${'insufficient_balance'} | ${'use_balance, wallet exactly 0'}
    ${'use_balance'} | ${0}   | ${null} | ${0}          | ${-10}  | ${false} | ${'insufficient_balance'} | ${'use_balance, wallet in debt'}
    ${'use_balance'} | ${100} | ${100}  | ${500}        | ${20}   | ${true}  | ${null}                   | ${'use_balance at its limit falls back to a positive wallet'}
    ${'use_balance'} | ${100} | ${100}  | ${500}        | ${0}    | ${false} | ${'insufficient_balance'} | ${'use_balance at its limit with an empty wallet'}
  `('$case', ({ mode, spent, limit, planRemaining, wallet, allowed, reason }) => {
    expect(allowance(agent(mode, spent, limit), { planRemaining, wallet }, true)).toEqual({ allowed, reason });
  });
});

import { applyDebit, available, revertDebit, splitDebit, type Pools } from '../../domain/pools';

describe('available', () => {
  it.each`
    planRemaining | topUp   | expected
    ${0}          | ${0}    | ${0}
    ${300}        | ${50}   | ${350}
    ${0}          | ${120}  | ${120}
    ${300}        | ${0}    | ${300}
    ${0}          | ${-40}  | ${-40}
  `('plan $planRemaining + topUp $topUp = $expected', ({ planRemaining, topUp, expected }) => {
    expect(available({ planRemaining, topUp })).toBe(expected);
  });
});

describe('splitDebit: plan credits first, then top-up', () => {
  it.each`
    planRemaining | topUp  | credits | plan   | fromTopUp | case
    ${100}        | ${50}  | ${30}   | ${30}  | ${0}      | ${'plan covers it'}
    ${100}        | ${50}  | ${100}  | ${100} | ${0}      | ${'plan exactly covers it'}
    ${100}        | ${50}  | ${130}  | ${100} | ${30}     | ${'plan used up, rest from top-up'}
    ${0}          | ${50}  | ${20}   | ${0}   | ${20}     | ${'no plan credits left'}
    ${10}         | ${5}   | ${50}   | ${10}  | ${40}     | ${'more than both pools'}
    ${0}          | ${-10} | ${7}    | ${0}   | ${7}      | ${'already in debt'}
    ${100}        | ${50}  | ${0}    | ${0}   | ${0}      | ${'zero credits'}
  `('$case', ({ planRemaining, topUp, credits, plan, fromTopUp }) => {
    expect(splitDebit({ planRemaining, topUp }, credits)).toEqual({ plan, topUp: fromTopUp });
  });

  it('the two parts always add up to the credits debited', () => {
    for (const planRemaining of [0, 1, 25, 100]) {
      for (const credits of [0, 1, 24, 25, 26, 500]) {
        const d = splitDebit({ planRemaining, topUp: 10 }, credits);
        expect(d.plan + d.topUp).toBe(credits);
        expect(d.plan).toBeGreaterThanOrEqual(0);
        expect(d.topUp).toBeGreaterThanOrEqual(0);
      }
    }
  });
});

describe('applyDebit', () => {
  it('spends plan first and leaves top-up untouched while plan covers it', () => {
    const pools: Pools = { planRemaining: 100, topUp: 50 };
    expect(applyDebit(pools, splitDebit(pools, 60))).toEqual({ planRemaining: 40, topUp: 50 });
  });

  it('lets the top-up pool go negative (debt) when usage exceeds both pools', () => {
    const pools: Pools = { planRemaining: 10, topUp: 5 };
    const after = applyDebit(pools, splitDebit(pools, 50));
    expect(after).toEqual({ planRemaining: 0, topUp: -35 });
    expect(available(after)).toBe(-35);
  });

  it('deepens existing debt', () => {
    const pools: Pools = { planRemaining: 0, topUp: -35 };
    expect(applyDebit(pools, splitDebit(pools, 5))).toEqual({ planRemaining: 0, topUp: -40 });
  });

  it('never drives plan credits negative, over any sequence of debits', () => {
    let pools: Pools = { planRemaining: 37, topUp: 20 };
    for (const credits of [10, 1, 30, 8, 0, 100, 3]) {
      pools = applyDebit(pools, splitDebit(pools, credits));
      expect(pools.planRemaining).toBeGreaterThanOrEqual(0);
    }
    expect(pools).toEqual({ planRemaining: 0, topUp: 57 - 152 });
  });

  it('reduces available by exactly the credits debited', () => {
    const pools: Pools = { planRemaining: 12, topUp: 3 };
    expect(available(applyDebit(pools, splitDebit(pools, 40)))).toBe(available(pools) - 40);
  });

  it('does not mutate its input', () => {
    const pools: Pools = { planRemaining: 100, topUp: 50 };
    applyDebit(pools, splitDebit(pools, 130));
    expect(pools).toEqual({ planRemaining: 100, topUp: 50 });
  });
});

describe('revertDebit is the inverse of applyDebit', () => {
  it.each`
    planRemaining | topUp  | credits
    ${100}        | ${50}  | ${30}
    ${100}        | ${50}  | ${130}
    ${10}         | ${5}   | ${50}
    ${0}          | ${-10} | ${7}
    ${0}          | ${0}   | ${0}
  `('plan $planRemaining, topUp $topUp, debit $credits', ({ planRemaining, topUp, credits }) => {
    const pools: Pools = { planRemaining, topUp };
    const debit = splitDebit(pools, credits);
    expect(revertDebit(applyDebit(pools, debit), debit)).toEqual(pools);
    expect(applyDebit(revertDebit(pools, debit), debit)).toEqual(pools);
  });

  it('gives each pool back exactly what it paid', () => {
    expect(revertDebit({ planRemaining: 0, topUp: -35 }, { plan: 10, topUp: 40 })).toEqual({ planRemaining: 10, topUp: 5 });
  });
});

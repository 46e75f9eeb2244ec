import { agentAllowance, billingSummary } from '../../domain/summary';
import { initialOrgBilling } from '../../domain/orgBilling';
import type { BillingSummarySource } from '../../domain/summary';

const PRICE = 2000;

/** A state with every part of the summary populated. */
const fresh = (orgId: string): BillingSummarySource => ({ ...initialOrgBilling(), orgId, pools: { planRemaining: 0, wallet: 0 }, agents: [], agentCount: 0 });

function populated(): BillingSummarySource {
  const state = fresh('org_1');
  state.subscription = { status: 'active', planCredits: 1000, currentPeriodEnd: '2025-07-01T00:00:00.000Z' };
  state.pools = { planRemaining: 300, wallet: 50 };
  state.paymentMethodId = 'pm_card_visa';
  state.autoRecharge = { enabled: true, thresholdCredits: 200, rechargeCredits: 600, maxRechargesPerMonth: 4 };
  state.counters = {
    rechargesUsedThisMonth: 2,
    lastRechargedAt: '2025-06-10T09:00:00.000Z',
    consecutiveFailures: 1,
    disabledReason: null,
    nextAttemptAt: 1_750_000_000_000,
    capReachedNotified: false,
  };
  state.pendingPayment = {
    id: 'run_1-pay-3',
    kind: 'auto_recharge',
    credits: 600,
    amountCents: 1200,
    paymentMethodId: 'pm_card_visa',
    status: 'requires_action',
    paymentIntentId: 'pi_123',
    clientSecret: 'pi_123_secret',
    startedAt: '2025-06-11T00:00:00.000Z',
    checkAfter: 1_750_000_100_000,
  };
  // The store's order: the most spend this period first; more agents than shown.
  state.agents = [
    { id: 'zeta', spentThisMonth: 40, monthlyLimitCredits: 40, whenPlanExhausted: 'stop' },
    { id: 'alpha', spentThisMonth: 10, monthlyLimitCredits: null, whenPlanExhausted: 'use_balance' },
  ];
  state.agentCount = 250;
  return state;
}

const sortedKeys = (o: object) => Object.keys(o).sort();

describe('billingSummary shape (spec §10)', () => {
  it('has exactly the top-level fields of the spec', () => {
    expect(sortedKeys(billingSummary(populated(), PRICE))).toEqual(
      [
        'orgId',
        'availableCredits',
        'topUpCredits',
        'grantCredits',
        'nextExpiry',
        'planCredits',
        'nextRenewalAt',
        'subscription',
        'paymentMethod',
        'autoRecharge',
        'pendingPayment',
        'agents',
        'agentCount',
      ].sort(),
    );
  });

  it('has exactly the nested fields of the spec', () => {
    const s = billingSummary(populated(), PRICE);
    expect(sortedKeys(s.planCredits)).toEqual(['allowance', 'remaining']);
    expect(sortedKeys(s.subscription!)).toEqual(['status']);
    expect(sortedKeys(s.paymentMethod!)).toEqual(['brand', 'expMonth', 'expYear', 'id', 'last4']);
    expect(sortedKeys(s.autoRecharge)).toEqual(
      [
        'enabled',
        'thresholdCredits',
        'rechargeCredits',
        'maxRechargesPerMonth',
        'mode',
        'targetCredits',
        'rechargesUsedThisMonth',
        'lastRechargedAt',
        'pricePer1000CreditsCents',
        'consecutiveFailures',
        'disabledReason',
      ].sort(),
    );
    expect(sortedKeys(s.pendingPayment!)).toEqual(['id', 'paymentIntentId', 'kind', 'credits', 'status', 'clientSecret'].sort());
    for (const a of s.agents) {
      expect(sortedKeys(a)).toEqual(['id', 'spentThisMonth', 'monthlyLimitCredits', 'whenPlanExhausted', 'allowed', 'reason'].sort());
    }
  });

  it("shows the default card's brand, last 4 and expiry as saved", () => {
    const card = { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 };
    expect(billingSummary({ ...populated(), card }, PRICE).paymentMethod).toStrictEqual({ id: 'pm_card_visa', ...card });
  });

  it('summarizes a populated state field by field', () => {
    expect(billingSummary(populated(), PRICE)).toStrictEqual({
      orgId: 'org_1',
      availableCredits: 350,
      topUpCredits: 50,
      grantCredits: 0,
      nextExpiry: null,
      planCredits: { allowance: 1000, remaining: 300 },
      nextRenewalAt: '2025-07-01T00:00:00.000Z',
      subscription: { status: 'active' },
      paymentMethod: { id: 'pm_card_visa', brand: null, last4: null, expMonth: null, expYear: null },
      autoRecharge: {
        enabled: true,
        thresholdCredits: 200,
        rechargeCredits: 600,
        maxRechargesPerMonth: 4,
        mode: 'fixed',
        targetCredits: null,
        rechargesUsedThisMonth: 2,
        lastRechargedAt: '2025-06-10T09:00:00.000Z',
        pricePer1000CreditsCents: 2000,
        consecutiveFailures: 1,
        disabledReason: null,
      },
      pendingPayment: {
        id: 'run_1-pay-3',
        paymentIntentId: 'pi_123',
        kind: 'auto_recharge',
        credits: 600,
        status: 'requires_action',
        clientSecret: 'pi_123_secret',
      },
      agents: [
        { id: 'zeta', spentThisMonth: 40, monthlyLimitCredits: 40, whenPlanExhausted: 'stop', allowed: false, reason: 'agent_limit_reached' },
        { id: 'alpha', spentThisMonth: 10, monthlyLimitCredits: null, whenPlanExhausted: 'use_balance', allowed: true, reason: null },
      ],
      agentCount: 250,
    });
  });

  it('summarizes a fresh organization with nulls and zeros', () => {
    expect(billingSummary(fresh('org_new'), 1999)).toStrictEqual({
      orgId: 'org_new',
      availableCredits: 0,
      topUpCredits: 0,
      grantCredits: 0,
      nextExpiry: null,
      planCredits: { allowance: 0, remaining: 0 },
      nextRenewalAt: null,
      subscription: null,
      paymentMethod: null,
      autoRecharge: {
        enabled: false,
        thresholdCredits: 0,
        rechargeCredits: 500,
        maxRechargesPerMonth: 5,
        mode: 'fixed',
        targetCredits: null,
        rechargesUsedThisMonth: 0,
        lastRechargedAt: null,
        pricePer1000CreditsCents: 1999,
        consecutiveFailures: 0,
        disabledReason: null,
      },
      pendingPayment: null,
      agents: [],
      agentCount: 0,
    });
  });
});

describe('billingSummary values', () => {
  it('availableCredits = plan remaining + top-up, including debt', () => {
    const state = populated();
    state.pools = { planRemaining: 0, wallet: -75 };
    const s = billingSummary(state, PRICE);
    expect(s.availableCredits).toBe(-75);
    expect(s.topUpCredits).toBe(-75);
    expect(s.planCredits.remaining).toBe(0);
  });

  it('shows the disabled reason and failure count', () => {
    const state = populated();
    state.counters = { ...state.counters, consecutiveFailures: 3, disabledReason: 'why' };
    const s = billingSummary(state, PRICE);
    expect(s.autoRecharge.consecutiveFailures).toBe(3);
    expect(s.autoRecharge.disabledReason).toBe('why');
  });

  it('lists the agents in the order given (the store picks and orders them), numeric ids included', () => {
    const state = populated();
    state.agents = ['b', '10', 'a2', '2'].map((id) => ({ id, spentThisMonth: 0, monthlyLimitCredits: null, whenPlanExhausted: 'use_balance' as const }));
    expect(billingSummary(state, PRICE).agents.map((a) => a.id)).toEqual(['b', '10', 'a2', '2']);
  });

  it.each(['past_due', 'canceled'] as const)('a %s subscription makes every agent subscription_inactive', (status) => {
    const state = populated();
    state.subscription = { ...state.subscription!, status };
    const s = billingSummary(state, PRICE);
    expect(s.subscription).toEqual({ status });
    expect(s.agents.map((a) => [a.allowed, a.reason])).toEqual([
      [false, 'subscription_inactive'],
      [false, 'subscription_inactive'],
    ]);
  });

  it('agent allowance follows the pools: plan used up leaves use_balance agents on the wallet', () => {
    const state = populated();
    state.pools = { planRemaining: 0, wallet: 0 };
    const s = billingSummary(state, PRICE);
    expect(s.agents.map((a) => [a.id, a.allowed, a.reason])).toEqual([
      ['zeta', false, 'agent_limit_reached'],
      ['alpha', false, 'insufficient_balance'],
    ]);
  });
});

describe('agentAllowance', () => {
  it('treats an unknown agent as a new use_balance agent', () => {
    const state = populated();
    state.pools = { planRemaining: 0, wallet: 10 };
    expect(agentAllowance(state, 'never-seen')).toEqual({ allowed: true, reason: null });
    state.pools = { planRemaining: 0, wallet: 0 };
    expect(agentAllowance(state, 'never-seen')).toEqual({ allowed: false, reason: 'insufficient_balance' });
  });

  it('is what the summary reports for that agent', () => {
    const state = populated();
    const s = billingSummary(state, PRICE);
    for (const a of s.agents) {
      expect({ allowed: a.allowed, reason: a.reason }).toEqual(agentAllowance(state, a.id));
    }
  });
});

test('grants count in available credits and show with their next expiry', () => {
  const s = billingSummary({ ...fresh('org_g'), pools: { planRemaining: 10, grants: 25, wallet: -5 }, nextExpiry: { credits: 20, at: '2027-01-01T00:00:00.000Z' } }, 1999);
  expect(s).toMatchObject({ availableCredits: 30, grantCredits: 25, topUpCredits: -5, nextExpiry: { credits: 20, at: '2027-01-01T00:00:00.000Z' } });
});

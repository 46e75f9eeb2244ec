import {
  afterRechargeFailure,
  afterRechargeSuccess,
  afterRenewal,
  afterSettingsSaved,
  capReached,
  DISABLED_AFTER_FAILURES_MESSAGE,
  ENABLE_REFUSAL_MESSAGES,
  enableRefusal,
  INITIAL_COUNTERS,
  rechargeDecision,
  type AutoRechargeCounters,
  type AutoRechargeSettings,
  type FailurePolicy,
  type RechargeContext,
} from '../../domain/autoRecharge';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const HOUR = 3_600_000;
const POLICY: FailurePolicy = { retryDelayMs: HOUR, maxConsecutiveFailures: 3 };
const SPEC_DISABLED_TEXT =
  'Auto-recharge was disabled after multiple failed payment attempts. Please update your payment method and re-enable.';

const SETTINGS: AutoRechargeSettings = { enabled: true, thresholdCredits: 100, rechargeCredits: 500, maxRechargesPerMonth: 3 };

/** A context in which a charge is due: enabled, below threshold, under cap, nothing blocking. */
function ctx(overrides: Partial<RechargeContext> = {}, counters: Partial<AutoRechargeCounters> = {}): RechargeContext {
  return {
    settings: SETTINGS,
    counters: { ...INITIAL_COUNTERS, ...counters },
    availableCredits: 50,
    paymentInFlight: false,
    hasPaymentMethod: true,
    subscriptionActive: true,
    now: NOW,
    ...overrides,
  };
}

describe('rechargeDecision', () => {
  it('charges when enabled, below threshold, under the cap, with nothing in the way', () => {
    expect(rechargeDecision(ctx())).toEqual({ action: 'charge' });
  });

  it('does nothing when auto-recharge is disabled, however low the balance', () => {
    expect(rechargeDecision(ctx({ settings: { ...SETTINGS, enabled: false }, availableCredits: -1000 }))).toEqual({
      action: 'none',
      reason: 'disabled',
    });
  });

  describe('threshold comparison is strict (available < threshold triggers)', () => {
    it.each`
      availableCredits | expected
      ${101}           | ${{ action: 'none', reason: 'above_threshold' }}
      ${100}           | ${{ action: 'none', reason: 'above_threshold' }}
      ${99}            | ${{ action: 'charge' }}
      ${0}             | ${{ action: 'charge' }}
      ${-50}           | ${{ action: 'charge' }}
    `('available $availableCredits vs threshold 100', ({ availableCredits, expected }) => {
      expect(rechargeDecision(ctx({ availableCredits }))).toEqual(expected);
    });

    it('threshold 0 triggers only on debt', () => {
      const settings = { ...SETTINGS, thresholdCredits: 0 };
      expect(rechargeDecision(ctx({ settings, availableCredits: 0 }))).toEqual({ action: 'none', reason: 'above_threshold' });
      expect(rechargeDecision(ctx({ settings, availableCredits: -1 }))).toEqual({ action: 'charge' });
    });
  });

  describe('monthly cap', () => {
    it.each`
      used | expected
      ${0} | ${{ action: 'charge' }}
      ${2} | ${{ action: 'charge' }}
      ${3} | ${{ action: 'none', reason: 'cap_reached' }}
      ${4} | ${{ action: 'none', reason: 'cap_reached' }}
    `('$used of 3 recharges used', ({ used, expected }) => {
      expect(rechargeDecision(ctx({}, { rechargesUsedThisMonth: used }))).toEqual(expected);
      expect(capReached(SETTINGS, { ...INITIAL_COUNTERS, rechargesUsedThisMonth: used })).toBe(used >= 3);
    });
  });

  it('does not start a second payment while one is in flight', () => {
    expect(rechargeDecision(ctx({ paymentInFlight: true }))).toEqual({ action: 'none', reason: 'payment_in_flight' });
  });

  it('does not charge without an active subscription', () => {
    expect(rechargeDecision(ctx({ subscriptionActive: false }))).toEqual({ action: 'none', reason: 'subscription_inactive' });
  });

  it('does not charge without a payment method', () => {
    expect(rechargeDecision(ctx({ hasPaymentMethod: false }))).toEqual({ action: 'none', reason: 'no_payment_method' });
  });

  describe('backoff after a decline', () => {
    it('waits until nextAttemptAt while it is in the future', () => {
      expect(rechargeDecision(ctx({}, { nextAttemptAt: NOW + 1 }))).toEqual({ action: 'wait_until', at: NOW + 1 });
      expect(rechargeDecision(ctx({}, { nextAttemptAt: NOW + HOUR }))).toEqual({ action: 'wait_until', at: NOW + HOUR });
    });

    it.each([NOW, NOW - 1])('charges once the backoff has passed (nextAttemptAt %p)', (nextAttemptAt) => {
      expect(rechargeDecision(ctx({}, { nextAttemptAt }))).toEqual({ action: 'charge' });
    });

    it('only waits when a charge would otherwise be due', () => {
      const waiting = { nextAttemptAt: NOW + HOUR };
      expect(rechargeDecision(ctx({ availableCredits: 100 }, waiting))).toEqual({ action: 'none', reason: 'above_threshold' });
      expect(rechargeDecision(ctx({ settings: { ...SETTINGS, enabled: false } }, waiting))).toEqual({ action: 'none', reason: 'disabled' });
    });
  });

  it('reports the first blocking condition in order: disabled, threshold, cap, in flight, subscription, payment method, backoff', () => {
    // Start with every condition blocking and lift them one at a time.
    let c = ctx(
      { settings: { ...SETTINGS, enabled: false }, availableCredits: 100, paymentInFlight: true, subscriptionActive: false, hasPaymentMethod: false },
      { rechargesUsedThisMonth: 3, nextAttemptAt: NOW + HOUR },
    );
    const seen: unknown[] = [];
    const lifts: Array<(c: RechargeContext) => RechargeContext> = [
      (c) => ({ ...c, settings: { ...c.settings, enabled: true } }),
      (c) => ({ ...c, availableCredits: 99 }),
      (c) => ({ ...c, counters: { ...c.counters, rechargesUsedThisMonth: 2 } }),
      (c) => ({ ...c, paymentInFlight: false }),
      (c) => ({ ...c, subscriptionActive: true }),
      (c) => ({ ...c, hasPaymentMethod: true }),
      (c) => ({ ...c, counters: { ...c.counters, nextAttemptAt: null } }),
    ];
    seen.push(rechargeDecision(c));
    for (const lift of lifts) {
      c = lift(c);
      seen.push(rechargeDecision(c));
    }
    expect(seen).toEqual([
      { action: 'none', reason: 'disabled' },
      { action: 'none', reason: 'above_threshold' },
      { action: 'none', reason: 'cap_reached' },
      { action: 'none', reason: 'payment_in_flight' },
      { action: 'none', reason: 'subscription_inactive' },
      { action: 'none', reason: 'no_payment_method' },
      { action: 'wait_until', at: NOW + HOUR },
      { action: 'charge' },
    ]);
  });
});

describe('afterRechargeSuccess', () => {
  const before: AutoRechargeCounters = {
    rechargesUsedThisMonth: 1,
    lastRechargedAt: '2025-05-20T00:00:00.000Z',
    consecutiveFailures: 2,
    disabledReason: null,
    nextAttemptAt: NOW - 1,
    capReachedNotified: false,
  };

  it('counts the recharge, records when, and resets the failure count and backoff', () => {
    expect(afterRechargeSuccess(before, '2025-06-01T12:00:00.000Z')).toEqual({
      rechargesUsedThisMonth: 2,
      lastRechargedAt: '2025-06-01T12:00:00.000Z',
      consecutiveFailures: 0,
      disabledReason: null,
      nextAttemptAt: null,
      capReachedNotified: false,
    });
  });

  it('does not mutate its input', () => {
    const copy = { ...before };
    afterRechargeSuccess(before, '2025-06-01T12:00:00.000Z');
    expect(before).toEqual(copy);
  });
});

describe('afterRechargeFailure', () => {
  it('first failure: counts it and backs off by retryDelayMs, without disabling', () => {
    const { counters, disabled } = afterRechargeFailure(INITIAL_COUNTERS, POLICY, NOW);
    expect(disabled).toBe(false);
    expect(counters).toEqual({ ...INITIAL_COUNTERS, consecutiveFailures: 1, nextAttemptAt: NOW + HOUR });
  });

  it('uses the configured retry delay', () => {
    const { counters } = afterRechargeFailure(INITIAL_COUNTERS, { ...POLICY, retryDelayMs: 5_000 }, NOW);
    expect(counters.nextAttemptAt).toBe(NOW + 5_000);
  });

  it('second failure: still enabled, backs off again from the new now', () => {
    const first = afterRechargeFailure(INITIAL_COUNTERS, POLICY, NOW).counters;
    const { counters, disabled } = afterRechargeFailure(first, POLICY, NOW + HOUR);
    expect(disabled).toBe(false);
    expect(counters.consecutiveFailures).toBe(2);
    expect(counters.nextAttemptAt).toBe(NOW + 2 * HOUR);
    expect(counters.disabledReason).toBeNull();
  });

  it('third consecutive failure disables auto-recharge with the spec text', () => {
    let counters = INITIAL_COUNTERS;
    const disabledFlags: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const outcome = afterRechargeFailure(counters, POLICY, NOW + i * HOUR);
      counters = outcome.counters;
      disabledFlags.push(outcome.disabled);
    }
    expect(disabledFlags).toEqual([false, false, true]);
    expect(counters.consecutiveFailures).toBe(3);
    expect(counters.disabledReason).toBe(SPEC_DISABLED_TEXT);
    expect(DISABLED_AFTER_FAILURES_MESSAGE).toBe(SPEC_DISABLED_TEXT);
  });

  it('honours a configured maxConsecutiveFailures', () => {
    const policy = { ...POLICY, maxConsecutiveFailures: 5 };
    let counters = INITIAL_COUNTERS;
    const flags: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const outcome = afterRechargeFailure(counters, policy, NOW);
      counters = outcome.counters;
      flags.push(outcome.disabled);
    }
    expect(flags).toEqual([false, false, false, false, true]);
  });

  it('a success in between resets the count: fail, fail, succeed, fail, fail does not disable', () => {
    let counters = INITIAL_COUNTERS;
    counters = afterRechargeFailure(counters, POLICY, NOW).counters;
    counters = afterRechargeFailure(counters, POLICY, NOW).counters;
    counters = afterRechargeSuccess(counters, '2025-06-01T14:00:00.000Z');
    counters = afterRechargeFailure(counters, POLICY, NOW).counters;
    const outcome = afterRechargeFailure(counters, POLICY, NOW);
    expect(outcome.disabled).toBe(false);
    expect(outcome.counters.consecutiveFailures).toBe(2);
    expect(outcome.counters.disabledReason).toBeNull();
  });

  it('does not count a failure as a recharge used', () => {
    const { counters } = afterRechargeFailure({ ...INITIAL_COUNTERS, rechargesUsedThisMonth: 2 }, POLICY, NOW);
    expect(counters.rechargesUsedThisMonth).toBe(2);
  });
});

describe('afterSettingsSaved', () => {
  const disabledCounters: AutoRechargeCounters = {
    rechargesUsedThisMonth: 2,
    lastRechargedAt: '2025-05-20T00:00:00.000Z',
    consecutiveFailures: 3,
    disabledReason: SPEC_DISABLED_TEXT,
    nextAttemptAt: NOW + HOUR,
    capReachedNotified: true,
  };

  const OFF = { ...SETTINGS, enabled: false };

  it('enabled=true (the Owner re-enabling) clears failures, the disabled reason and the backoff', () => {
    expect(afterSettingsSaved(disabledCounters, OFF, SETTINGS)).toEqual({
      ...disabledCounters,
      consecutiveFailures: 0,
      disabledReason: null,
      nextAttemptAt: null,
    });
  });

  it('enabled=true keeps the monthly count (re-enabling does not reset the cap)', () => {
    expect(afterSettingsSaved(disabledCounters, OFF, SETTINGS).rechargesUsedThisMonth).toBe(2);
  });

  it('editing settings while enabled keeps the failure count and the backoff', () => {
    const failing = { ...disabledCounters, consecutiveFailures: 2, disabledReason: null };
    expect(afterSettingsSaved(failing, SETTINGS, { ...SETTINGS, thresholdCredits: 7 })).toEqual(failing);
  });

  it('enabled=false leaves the counters as they are', () => {
    expect(afterSettingsSaved(disabledCounters, SETTINGS, OFF)).toEqual(disabledCounters);
  });
});

describe('afterRenewal', () => {
  it('resets the monthly count and the cap_reached notice, keeping the rest', () => {
    const before: AutoRechargeCounters = {
      rechargesUsedThisMonth: 3,
      lastRechargedAt: '2025-05-20T00:00:00.000Z',
      consecutiveFailures: 1,
      disabledReason: null,
      nextAttemptAt: NOW + HOUR,
      capReachedNotified: true,
    };
    expect(afterRenewal(before)).toEqual({ ...before, rechargesUsedThisMonth: 0, capReachedNotified: false });
  });

  it('lifts the cap so a charge is due again', () => {
    const capped = { ...INITIAL_COUNTERS, rechargesUsedThisMonth: 3, capReachedNotified: true };
    expect(rechargeDecision(ctx({ counters: capped }))).toEqual({ action: 'none', reason: 'cap_reached' });
    expect(rechargeDecision(ctx({ counters: afterRenewal(capped) }))).toEqual({ action: 'charge' });
  });
});

describe('enableRefusal', () => {
  it.each`
    subscriptionActive | hasPaymentMethod | refusal
    ${false}           | ${false}         | ${'subscription_required'}
    ${false}           | ${true}          | ${'subscription_required'}
    ${true}            | ${false}         | ${'payment_method_required'}
    ${true}            | ${true}          | ${null}
  `('subscription $subscriptionActive, payment method $hasPaymentMethod -> $refusal', ({ subscriptionActive, hasPaymentMethod, refusal }) => {
    expect(enableRefusal(subscriptionActive, hasPaymentMethod)).toBe(refusal);
  });

  it('messages match the spec texts exactly', () => {
    expect(ENABLE_REFUSAL_MESSAGES).toEqual({
      subscription_required: 'An active subscription is required to enable auto-recharge.',
      payment_method_required: 'A payment method is required to enable auto-recharge.',
    });
  });
});

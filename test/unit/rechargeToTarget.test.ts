// Recharge to a target, by hand: the amount one recharge buys in each mode, and the same rule in the
// policy simulation, the forecast and the cap forecast.
import { rechargeCreditsFor, type AutoRechargeSettings } from '../../domain/autoRecharge';
import { burnBasis, burnForecast, capForecast, DAY_MS, daysUntilRecharge, rechargesNeeded } from '../../domain/burnForecast';
import { simulatePolicy, type SimulationEntry } from '../../domain/policySimulation';
import { topUpAmountCents } from '../../domain/pricing';
import { MAX_CREDITS } from '../../domain/subscription';

const MIN = 500;
const TARGET: AutoRechargeSettings = { enabled: true, thresholdCredits: 1000, rechargeCredits: 2000, maxRechargesPerMonth: 3, mode: 'to_target', targetCredits: 4000 };

describe('rechargeCreditsFor', () => {
  test('fixed, or settings stored before the mode existed, buy rechargeCredits whatever the balance', () => {
    const { mode: _mode, targetCredits: _target, ...stored } = TARGET;
    for (const available of [-5000, 0, 999]) {
      expect(rechargeCreditsFor(stored, available, MIN)).toBe(2000);
      expect(rechargeCreditsFor({ ...TARGET, mode: 'fixed' }, available, MIN)).toBe(2000);
    }
  });

  test('to_target buys targetCredits − available', () => {
    expect(rechargeCreditsFor(TARGET, 999, MIN)).toBe(3001);
    expect(rechargeCreditsFor(TARGET, 0, MIN)).toBe(4000);
    // A debt is bought back too: from −2,500 up to 4,000.
    expect(rechargeCreditsFor(TARGET, -2500, MIN)).toBe(6500);
  });

  test('to_target buys at least the minimum top-up, even when that passes the target', () => {
    const close = { ...TARGET, thresholdCredits: 3900 };
    expect(rechargeCreditsFor(close, 3800, MIN)).toBe(500);
    expect(rechargeCreditsFor(close, 3499, MIN)).toBe(501);
  });

  test('no recharge buys more than one top-up may', () => {
    expect(rechargeCreditsFor(TARGET, -MAX_CREDITS, MIN)).toBe(MAX_CREDITS);
  });
});

describe('the policy simulation with to_target', () => {
  const FROM = Date.UTC(2026, 0, 1);
  const HOUR = 3_600_000;
  const PRICE = 2001; // cents per 1,000 credits: each recharge is rounded up on its own
  const usage = (ref: string, credits: number, hours: number): SimulationEntry => ({ kind: 'usage', pool: 'wallet', credits: -credits, at: FROM + hours * HOUR, ref });
  const run = (policy: object, entries: SimulationEntry[]) =>
    simulatePolicy(
      { startPools: { planRemaining: 0, wallet: 1000 }, policy: { thresholdCredits: 500, rechargeCredits: 200, maxRechargesPerMonth: 10, ...policy }, pricePer1000CreditsCents: PRICE, minTopUpCredits: 100, from: FROM, to: FROM + 30 * 24 * HOUR },
      entries,
    );

  test('each crossing buys up to the target, once, priced per recharge', () => {
    // 1,000 − 900 = 100 < 500: buys 1,900 (-> 2,000). − 1,450 = 550: nothing. − 100 = 450: buys 1,550.
    const result = run({ mode: 'to_target', targetCredits: 2000 }, [usage('e1', 900, 1), usage('e2', 1450, 2), usage('e3', 100, 3)]);
    expect(result).toMatchObject({
      recharges: 2,
      chargedCents: topUpAmountCents(1900, PRICE) + topUpAmountCents(1550, PRICE),
      minAvailableCredits: 100,
      finalAvailableCredits: 2000,
    });
    // The same debits with fixed recharges of 200 need two in a row after the first one.
    expect(run({}, [usage('e1', 900, 1)])).toMatchObject({ recharges: 2, finalAvailableCredits: 500 });
  });

  test('the minimum top-up and the cap hold', () => {
    // Target 600: 1,000 − 550 = 450 buys max(100, 150) = 150 -> 600; then 600 − 200 = 400 -> the cap (1) stops it.
    expect(run({ mode: 'to_target', targetCredits: 600, maxRechargesPerMonth: 1 }, [usage('e1', 550, 1), usage('e2', 200, 2)])).toMatchObject({
      recharges: 1,
      chargedCents: topUpAmountCents(150, PRICE),
      finalAvailableCredits: 400,
    });
    // Target 520: 1,000 − 550 = 450 buys the minimum top-up, 100 -> 550.
    expect(run({ mode: 'to_target', targetCredits: 520 }, [usage('e1', 550, 1)])).toMatchObject({ recharges: 1, finalAvailableCredits: 550 });
  });
});

describe('the forecast with to_target', () => {
  const NOW = Date.UTC(2026, 2, 10, 12);

  test('each crossing of the threshold buys target − threshold (at least the minimum top-up)', () => {
    expect(rechargesNeeded(5000, 0, TARGET, MIN)).toBe(0);
    expect(rechargesNeeded(5000, 4001, TARGET, MIN)).toBe(1);
    // 10,000 burned from 5,000: crossings after 4,000 and after 7,000 burned.
    expect(rechargesNeeded(5000, 10_000, TARGET, MIN)).toBe(2);
    expect(daysUntilRecharge(2, 5000, 1000, TARGET, MIN)).toBe(7);
    // A target just above the threshold still buys the minimum top-up each time.
    expect(rechargesNeeded(5000, 10_000, { ...TARGET, targetCredits: 1050 }, MIN)).toBe(12);
  });

  test('below the threshold now: one recharge up to the target is due at once, not several', () => {
    expect(rechargesNeeded(100, 0, TARGET, MIN)).toBe(1);
    expect(rechargesNeeded(100, 0, { ...TARGET, mode: 'fixed', thresholdCredits: 5000, targetCredits: 6000 }, MIN)).toBe(3);
    expect(rechargesNeeded(100, 0, { ...TARGET, thresholdCredits: 5000, targetCredits: 6000 }, MIN)).toBe(1);
    // Then at 4,000 the next crossing is 3,000 burned away.
    expect(daysUntilRecharge(1, 100, 1000, TARGET, MIN)).toBe(0);
    expect(daysUntilRecharge(2, 100, 1000, TARGET, MIN)).toBe(3);
  });

  test('burnForecast and capForecast use the amount the mode buys', () => {
    const forecast = burnForecast({
      now: NOW,
      availableCredits: 5000,
      usageCredits: 7000, // 1,000 a day
      basis: burnBasis(NOW, null),
      settings: { ...TARGET, maxRechargesPerMonth: 10 },
      minTopUpCredits: MIN,
      rechargesUsedThisMonth: 0,
      nextRenewalAt: NOW + 10 * DAY_MS,
    });
    // 10,000 burned by the renewal: 2 recharges (fixed 2,000 would need 3).
    expect(forecast.projectedRechargesThisPeriod).toBe(2);
    const cap = { availableCredits: 5000, burnRateCreditsPerDay: 1000, settings: TARGET, minTopUpCredits: MIN, rechargesUsedThisMonth: 1, now: NOW, nextRenewalAt: NOW + 10 * DAY_MS };
    // 2 left: the 2nd once 4,000 + 3,000 are burned: in 7 days (fixed 2,000: in 6).
    expect(capForecast(cap)).toEqual({ capReachedAt: new Date(NOW + 7 * DAY_MS).toISOString() });
    expect(capForecast({ ...cap, settings: { ...TARGET, mode: 'fixed' } })).toEqual({ capReachedAt: new Date(NOW + 6 * DAY_MS).toISOString() });
  });
});

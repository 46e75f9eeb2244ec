// The forecast's arithmetic, by hand: the basis, the burn rate, days until the threshold and until
// empty (rounded down to 0.1), the recharges projected this period against the cap, and the
// projected instant the cap is reached.
import type { AutoRechargeSettings } from '../../domain/autoRecharge';
import { burnBasis, burnForecast, burnRatePerDay, capForecast, DAY_MS, daysUntilWithExpiries, rechargesNeeded, type ForecastInput } from '../../domain/burnForecast';

const NOW = Date.UTC(2026, 2, 10, 12);
const iso = (ms: number) => new Date(ms).toISOString();
const ON: AutoRechargeSettings = { enabled: true, thresholdCredits: 1000, rechargeCredits: 2000, maxRechargesPerMonth: 3 };
const OFF: AutoRechargeSettings = { ...ON, enabled: false };

function input(overrides: Partial<ForecastInput>): ForecastInput {
  return {
    now: NOW,
    availableCredits: 5000,
    usageCredits: 7000, // over 7 days: 1,000 a day
    basis: burnBasis(NOW, NOW - 30 * DAY_MS),
    settings: ON,
    minTopUpCredits: 100,
    rechargesUsedThisMonth: 1,
    nextRenewalAt: NOW + 10 * DAY_MS,
    ...overrides,
  };
}

test('the basis is the trailing 7 days, or since the first usage if that is more recent', () => {
  expect(burnBasis(NOW, null)).toEqual({ from: NOW - 7 * DAY_MS, to: NOW });
  expect(burnBasis(NOW, NOW - 30 * DAY_MS)).toEqual({ from: NOW - 7 * DAY_MS, to: NOW });
  expect(burnBasis(NOW, NOW - 2 * DAY_MS)).toEqual({ from: NOW - 2 * DAY_MS, to: NOW });
});

test('the burn rate is usage per day of the basis, a basis of at least an hour', () => {
  expect(burnRatePerDay(7000, burnBasis(NOW, null))).toBe(1000);
  expect(burnRatePerDay(500, burnBasis(NOW, NOW - 2 * DAY_MS))).toBe(250);
  // 100 credits in the first ten minutes: counted over an hour, 2,400 a day.
  expect(burnRatePerDay(100, burnBasis(NOW, NOW - 10 * 60_000))).toBe(2400);
  expect(burnRatePerDay(0, burnBasis(NOW, null))).toBe(0);
});

test('days until the threshold and until empty, the recharges of this period and the cap', () => {
  // 1,000 a day, 5,000 available: empty in 5 days, below 1,000 in 4. Renewal in 10 days: 10,000
  // burned; 5,000 - 10,000 + n * 2,000 >= 1,000 needs n = 3, but 1 is used and the cap is 3: 2 more.
  expect(burnForecast(input({}))).toEqual({
    burnRateCreditsPerDay: 1000,
    daysUntilThreshold: 4,
    daysUntilEmpty: 5,
    projectedRechargesThisPeriod: 3,
    capReachedBeforeRenewal: true,
    basis: { from: iso(NOW - 7 * DAY_MS), to: iso(NOW) },
  });
  // Renewal in 6 days: 6,000 burned, 5,000 - 6,000 + n * 2,000 >= 1,000: n = 1, 2 in all, under the cap.
  expect(burnForecast(input({ nextRenewalAt: NOW + 6 * DAY_MS }))).toMatchObject({ projectedRechargesThisPeriod: 2, capReachedBeforeRenewal: false });
});

test('durations are rounded down to 0.1 day; the rate to 0.1 credit', () => {
  // 2,000 credits over 3 days: 666.67 a day. 1,000 available: 1.5 days; 1,100 with threshold 1,000: 0.15 -> 0.1.
  const basis = burnBasis(NOW, NOW - 3 * DAY_MS);
  expect(burnForecast(input({ usageCredits: 2000, basis, availableCredits: 1000 }))).toMatchObject({ burnRateCreditsPerDay: 666.7, daysUntilEmpty: 1.5, daysUntilThreshold: 0 });
  expect(burnForecast(input({ usageCredits: 2000, basis, availableCredits: 1100 }))).toMatchObject({ daysUntilEmpty: 1.6, daysUntilThreshold: 0.1 });
});

test('nothing available: 0 days; no burn: null; auto-recharge off: no threshold and no recharges', () => {
  expect(burnForecast(input({ availableCredits: 0 }))).toMatchObject({ daysUntilEmpty: 0, daysUntilThreshold: 0 });
  expect(burnForecast(input({ availableCredits: -20, usageCredits: 0 }))).toMatchObject({ daysUntilEmpty: 0, burnRateCreditsPerDay: 0 });
  expect(burnForecast(input({ usageCredits: 0 }))).toMatchObject({
    burnRateCreditsPerDay: 0,
    daysUntilEmpty: null,
    daysUntilThreshold: null,
    projectedRechargesThisPeriod: 1,
    capReachedBeforeRenewal: false,
  });
  expect(burnForecast(input({ settings: OFF, rechargesUsedThisMonth: 0 }))).toMatchObject({
    daysUntilThreshold: null,
    daysUntilEmpty: 5,
    projectedRechargesThisPeriod: 0,
    capReachedBeforeRenewal: false,
  });
  // No subscription, so no renewal ahead: no period to project over.
  expect(burnForecast(input({ nextRenewalAt: null }))).toMatchObject({ projectedRechargesThisPeriod: null, capReachedBeforeRenewal: null });
});

test('below the threshold now: the recharges due at once count, as the live rule repeats them', () => {
  // 100 available, threshold 1,000: one recharge at once (-> 2,100); threshold 5,000: three (-> 6,100), even with no burn.
  expect(rechargesNeeded(100, 0, { thresholdCredits: 1000, rechargeCredits: 2000 }, 100)).toBe(1);
  expect(rechargesNeeded(100, 0, { thresholdCredits: 5000, rechargeCredits: 2000 }, 100)).toBe(3);
  expect(burnForecast(input({ availableCredits: 100, usageCredits: 0, rechargesUsedThisMonth: 0, settings: { ...ON, thresholdCredits: 5000 } }))).toMatchObject({
    daysUntilThreshold: 0,
    projectedRechargesThisPeriod: 3,
    capReachedBeforeRenewal: true,
  });
});

test('capForecast: the instant the last recharge under the cap is due, if before renewal', () => {
  const base = { availableCredits: 5000, burnRateCreditsPerDay: 1000, settings: ON, minTopUpCredits: 100, rechargesUsedThisMonth: 1, now: NOW, nextRenewalAt: NOW + 10 * DAY_MS };
  // 2 recharges left: the 2nd is due once 5,000 + 2,000 - 1,000 = 6,000 are burned: in 6 days.
  expect(capForecast(base)).toEqual({ capReachedAt: iso(NOW + 6 * DAY_MS) });
  // ISO instants are accepted as well.
  expect(capForecast({ ...base, now: iso(NOW), nextRenewalAt: iso(NOW + 10 * DAY_MS) })).toEqual({ capReachedAt: iso(NOW + 6 * DAY_MS) });
  // One left: due once 4,000 are burned, in 4 days; at 250 a day, 16 days: after the renewal.
  expect(capForecast({ ...base, rechargesUsedThisMonth: 2 })).toEqual({ capReachedAt: iso(NOW + 4 * DAY_MS) });
  expect(capForecast({ ...base, rechargesUsedThisMonth: 2, burnRateCreditsPerDay: 250 })).toEqual({ capReachedAt: null });
  // 1,500 a day: 6,000 in 4 days.
  expect(capForecast({ ...base, burnRateCreditsPerDay: 1500 })).toEqual({ capReachedAt: iso(NOW + 4 * DAY_MS) });
  // Reached already; off; nothing burning.
  expect(capForecast({ ...base, rechargesUsedThisMonth: 3 })).toEqual({ capReachedAt: iso(NOW) });
  expect(capForecast({ ...base, settings: OFF })).toEqual({ capReachedAt: null });
  expect(capForecast({ ...base, burnRateCreditsPerDay: 0 })).toEqual({ capReachedAt: null });
  // Below the threshold with one left: due now.
  expect(capForecast({ ...base, availableCredits: 500, rechargesUsedThisMonth: 2, burnRateCreditsPerDay: 0 })).toEqual({ capReachedAt: iso(NOW) });
  // No renewal known: the projection stands.
  expect(capForecast({ ...base, nextRenewalAt: null, burnRateCreditsPerDay: 100 })).toEqual({ capReachedAt: iso(NOW + 60 * DAY_MS) });
});

test('the forecast and capForecast agree on whether the cap comes before renewal', () => {
  for (const days of [1, 3, 5.5, 6, 6.01, 9, 12]) {
    const renewal = NOW + days * DAY_MS;
    const forecast = burnForecast(input({ nextRenewalAt: renewal }));
    const cap = capForecast({ availableCredits: 5000, burnRateCreditsPerDay: 1000, settings: ON, minTopUpCredits: 100, rechargesUsedThisMonth: 1, now: NOW, nextRenewalAt: renewal });
    expect([days, forecast.capReachedBeforeRenewal]).toEqual([days, cap.capReachedAt !== null]);
  }
});

test('grant expiries ahead bring the threshold and the empty day nearer, and count toward the recharges of the period', () => {
  const now = Date.UTC(2026, 0, 1);
  const day = 86_400_000;
  // 1000 available, 100 a day: empty in 10 days; with 300 expiring on day 2, empty in 7.
  expect(daysUntilWithExpiries(1000, 0, 100, now, [])).toBe(10);
  expect(daysUntilWithExpiries(1000, 0, 100, now, [{ credits: 300, at: now + 2 * day }])).toBe(7);
  // An expiry that alone takes available to the level: reached at its instant.
  expect(daysUntilWithExpiries(1000, 500, 10, now, [{ credits: 600, at: now + day }])).toBe(1);
  // No burn: only the expiry moves available.
  expect(daysUntilWithExpiries(1000, 500, 0, now, [{ credits: 600, at: now + day }])).toBe(1);
  expect(daysUntilWithExpiries(1000, 500, 0, now, [{ credits: 100, at: now + day }])).toBeNull();
  // Past expiries are the sweep's, not the forecast's.
  expect(daysUntilWithExpiries(1000, 0, 100, now, [{ credits: 300, at: now - day }])).toBe(10);
});

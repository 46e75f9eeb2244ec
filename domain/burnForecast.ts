// The burn-rate forecast (GET /forecast) and the projected instant the monthly cap is reached
// (the auto_recharge.cap_forecast event). Pure arithmetic; a forecast is a measurement, so it is a
// decimal: the burn rate is rounded to 0.1 credit a day, durations are rounded DOWN to 0.1 day (a
// forecast never promises more time than there is). Money is not involved.
import { rechargeCreditsFor, rechargeMode, type AutoRechargeSettings } from './autoRecharge';

export const DAY_MS = 86_400_000;
/** The burn rate is measured over the trailing 7 days, or since the first usage if that is more recent. */
export const BURN_WINDOW_MS = 7 * DAY_MS;
/** A shorter basis is stretched to an hour: a first event a second ago is no rate of millions a day. */
export const MIN_BASIS_MS = 3_600_000;

export interface BurnBasis {
  /** Epoch ms: the start of the basis (7 days ago, or the first usage if more recent). */
  from: number;
  to: number;
}

/** Where the burn rate is measured: the trailing 7 days, or since the first usage if more recent. */
export function burnBasis(now: number, firstUsageAt: number | null): BurnBasis {
  const weekAgo = now - BURN_WINDOW_MS;
  return { from: firstUsageAt !== null && firstUsageAt > weekAgo ? Math.min(firstUsageAt, now) : weekAgo, to: now };
}

/** Credits a day (unrounded): the usage debited over the basis, per day of it (at least an hour). */
export function burnRatePerDay(usageCredits: number, basis: BurnBasis): number {
  if (usageCredits <= 0) return 0;
  return (usageCredits * DAY_MS) / Math.max(basis.to - basis.from, MIN_BASIS_MS);
}

const downToTenth = (days: number) => Math.floor(days * 10 + 1e-9) / 10;
const toTenth = (x: number) => Math.round(x * 10) / 10;

/** Days until available falls below `level` at this rate: 0 when it is already there, null with no burn. */
export function daysUntil(availableCredits: number, level: number, ratePerDay: number): number | null {
  if (availableCredits <= level) return 0;
  if (ratePerDay <= 0) return null;
  return (availableCredits - level) / ratePerDay;
}

/** Credits of credit grants that expire at an instant (epoch ms). */
export interface ScheduledExpiry {
  credits: number;
  at: number;
}

/**
 * daysUntil with grant expiries on the way: available burns at the rate and drops by each expiry's
 * credits at its instant. Pessimistic: the burn is not assumed to use up the expiring grants first,
 * so a forecast never promises more time than there is.
 */
export function daysUntilWithExpiries(availableCredits: number, level: number, ratePerDay: number, now: number, expiries: readonly ScheduledExpiry[]): number | null {
  let credits = availableCredits;
  let days = 0;
  if (credits <= level) return 0;
  for (const expiry of [...expiries].filter((e) => e.at > now).sort((a, b) => a.at - b.at)) {
    const at = (expiry.at - now) / DAY_MS;
    const reached = daysUntil(credits, level, ratePerDay);
    if (reached !== null && days + reached <= at) return days + reached;
    credits -= ratePerDay * (at - days) + expiry.credits;
    days = at;
    if (credits <= level) return days;
  }
  const rest = daysUntil(credits, level, ratePerDay);
  return rest === null ? null : days + rest;
}

/** The credits of the expiries before `until` (epoch ms). */
const expiringBefore = (expiries: readonly ScheduledExpiry[], now: number, until: number) => expiries.filter((e) => e.at > now && e.at < until).reduce((sum, e) => sum + e.credits, 0);

/** What decides how often the live rule recharges. */
export type RechargeRule = Pick<AutoRechargeSettings, 'thresholdCredits' | 'rechargeCredits' | 'mode' | 'targetCredits'>;

/**
 * The recharges due at once at this balance (fixed: repeated until back at the threshold; to_target:
 * one, up to the target), the balance they leave, and the credits each later crossing of the
 * threshold buys under continuous spending (to_target: from the threshold up to the target).
 */
export function rechargeSteps(availableCredits: number, settings: RechargeRule, minTopUpCredits: number): { dueNow: number; after: number; step: number } {
  const threshold = settings.thresholdCredits;
  const step = rechargeCreditsFor(settings, threshold, minTopUpCredits);
  if (availableCredits >= threshold) return { dueNow: 0, after: availableCredits, step };
  if (rechargeMode(settings) === 'to_target') return { dueNow: 1, after: availableCredits + rechargeCreditsFor(settings, availableCredits, minTopUpCredits), step };
  const dueNow = Math.ceil((threshold - availableCredits) / step);
  return { dueNow, after: availableCredits + dueNow * step, step };
}

/**
 * How many recharges the live rule makes while `burnedCredits` more are spent from `availableCredits`
 * (uncapped): those due now, then one each time available goes below the threshold. With
 * continuous spending that is the least n with after - burned + n * step >= threshold.
 */
export function rechargesNeeded(availableCredits: number, burnedCredits: number, settings: RechargeRule, minTopUpCredits: number): number {
  const { dueNow, after, step } = rechargeSteps(availableCredits, settings, minTopUpCredits);
  const short = settings.thresholdCredits - (after - burnedCredits);
  if (short <= 0) return dueNow;
  return dueNow + Math.ceil(short / step - 1e-9);
}

/**
 * Days from now to the k-th recharge from now (k >= 1) at this rate: 0 for one due now; else it
 * happens when after - burned + (k - dueNow - 1) * step first goes below the threshold. null with
 * no burn (and not due now).
 */
export function daysUntilRecharge(k: number, availableCredits: number, ratePerDay: number, settings: RechargeRule, minTopUpCredits: number): number | null {
  const { dueNow, after, step } = rechargeSteps(availableCredits, settings, minTopUpCredits);
  if (k <= dueNow) return 0;
  const burnBefore = after + (k - dueNow - 1) * step - settings.thresholdCredits;
  if (burnBefore < 0) return 0;
  if (ratePerDay <= 0) return null;
  return burnBefore / ratePerDay;
}

export interface ForecastInput {
  now: number;
  availableCredits: number;
  /** Usage debited (credits, positive) over the basis. */
  usageCredits: number;
  basis: BurnBasis;
  settings: AutoRechargeSettings;
  /** The price book's minimum top-up: the least a to_target recharge buys. */
  minTopUpCredits: number;
  rechargesUsedThisMonth: number;
  /** Epoch ms of the next renewal; null without a subscription. */
  nextRenewalAt: number | null;
  /** The live grants' expiries ahead (absent: none). */
  expiries?: readonly ScheduledExpiry[];
}

export interface Forecast {
  /** Credits a day, rounded to 0.1. */
  burnRateCreditsPerDay: number;
  /** Rounded down to 0.1 day; null when auto-recharge is off or nothing burns. */
  daysUntilThreshold: number | null;
  /** Rounded down to 0.1 day; 0 when nothing is available; null when nothing burns. */
  daysUntilEmpty: number | null;
  /** Recharges of this period, those used so far included, bounded by the cap; null with no renewal ahead. */
  projectedRechargesThisPeriod: number | null;
  /** Whether the count reaches the cap before the next renewal; null with no renewal ahead. */
  capReachedBeforeRenewal: boolean | null;
  basis: { from: string; to: string };
}

export function burnForecast(input: ForecastInput): Forecast {
  const { settings, availableCredits, now } = input;
  const rate = burnRatePerDay(input.usageCredits, input.basis);
  const round = (days: number | null) => (days === null ? null : downToTenth(days));
  const expiries = input.expiries ?? [];
  const daysUntilEmpty = availableCredits <= 0 ? 0 : round(daysUntilWithExpiries(availableCredits, 0, rate, now, expiries));
  const daysUntilThreshold = settings.enabled ? round(daysUntilWithExpiries(availableCredits, settings.thresholdCredits, rate, now, expiries)) : null;

  let projected: number | null = null;
  let capReached: boolean | null = null;
  if (input.nextRenewalAt !== null) {
    const used = input.rechargesUsedThisMonth;
    const left = Math.max(0, settings.maxRechargesPerMonth - used);
    const horizonDays = Math.max(0, input.nextRenewalAt - now) / DAY_MS;
    const lost = rate * horizonDays + expiringBefore(expiries, now, input.nextRenewalAt);
    const wanted = settings.enabled ? rechargesNeeded(availableCredits, lost, settings, input.minTopUpCredits) : 0;
    projected = used + Math.min(wanted, left);
    capReached = settings.enabled ? used + wanted >= settings.maxRechargesPerMonth : used >= settings.maxRechargesPerMonth;
  }
  return {
    burnRateCreditsPerDay: toTenth(rate),
    daysUntilThreshold,
    daysUntilEmpty,
    projectedRechargesThisPeriod: projected,
    capReachedBeforeRenewal: capReached,
    basis: { from: new Date(input.basis.from).toISOString(), to: new Date(input.basis.to).toISOString() },
  };
}

export interface CapForecastInput {
  availableCredits: number;
  /** Credits a day (the forecast's rate). */
  burnRateCreditsPerDay: number;
  settings: AutoRechargeSettings;
  minTopUpCredits: number;
  rechargesUsedThisMonth: number;
  /** Epoch ms or an ISO instant. */
  now: number | string;
  nextRenewalAt: number | string | null;
}

/**
 * The projected instant the monthly cap is reached at this burn rate: now when it is reached
 * already; null when auto-recharge is off, nothing burns, or not before the next renewal (with no
 * renewal known, any projected instant). For the auto_recharge.cap_forecast event, after a
 * successful recharge (so `rechargesUsedThisMonth` counts it).
 */
export function capForecast(input: CapForecastInput): { capReachedAt: string | null } {
  const { settings } = input;
  const now = typeof input.now === 'number' ? input.now : Date.parse(input.now);
  const renewal = input.nextRenewalAt === null ? null : typeof input.nextRenewalAt === 'number' ? input.nextRenewalAt : Date.parse(input.nextRenewalAt);
  if (!settings.enabled) return { capReachedAt: null };
  const left = settings.maxRechargesPerMonth - input.rechargesUsedThisMonth;
  if (left <= 0) return { capReachedAt: new Date(now).toISOString() };
  const days = daysUntilRecharge(left, input.availableCredits, input.burnRateCreditsPerDay, settings, input.minTopUpCredits);
  if (days === null) return { capReachedAt: null };
  const at = now + Math.round(days * DAY_MS);
  if (renewal !== null && at >= renewal) return { capReachedAt: null };
  return { capReachedAt: new Date(at).toISOString() };
}

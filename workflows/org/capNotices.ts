// What the owner is told about auto-recharge's monthly cap: that it was reached, and, after a
// recharge, that the current burn rate will reach it well before the renewal. Its own module
// because both a settled recharge (payments.ts) and a settings save (settings.ts) note the cap,
// and the recharge decision (autoRecharge.ts) begins payments: kept apart, no import goes round.
import { capReached } from '../../domain/autoRecharge';
import { capForecast, DAY_MS } from '../../domain/burnForecast';
import { commit, emit, type Org } from './context';
import { liveRechargeSettings } from './rechargeMode';

/** Once per period: auto-recharge stops until the next renewal. */
export function noteCapReached(org: Org): void {
  const { autoRecharge: settings, counters } = org.state;
  if (!settings.enabled || counters.capReachedNotified || !capReached(settings, counters)) return;
  org.state.counters = { ...counters, capReachedNotified: true };
  emit(
    org,
    'auto_recharge.cap_reached',
    `Auto-recharge used ${counters.rechargesUsedThisMonth}/${settings.maxRechargesPerMonth} recharges this month and stops until the next renewal.`,
    { rechargesUsedThisMonth: counters.rechargesUsedThisMonth, maxRechargesPerMonth: settings.maxRechargesPerMonth },
  );
}

/**
 * After a successful recharge: when the cap will be reached, at the current burn rate, more than a
 * day before the renewal, the owner is told once per period.
 */
export async function noteCapForecast(org: Org): Promise<void> {
  const { autoRecharge: settings, counters, subscription } = org.state;
  const renewal = subscription?.currentPeriodEnd ?? null;
  if (!renewal || org.state.capForecastFor === renewal || counters.rechargesUsedThisMonth >= settings.maxRechargesPerMonth) return;
  const burnRateCreditsPerDay = await org.activities.readBurnRateCreditsPerDay(org.state.orgId);
  const now = Date.now();
  const { capReachedAt } = capForecast({
    availableCredits: org.lastAvailableCredits ?? 0,
    burnRateCreditsPerDay,
    settings: liveRechargeSettings(settings),
    minTopUpCredits: org.rules.minTopUpCredits,
    rechargesUsedThisMonth: counters.rechargesUsedThisMonth,
    now,
    nextRenewalAt: renewal,
  });
  if (!capReachedAt) return;
  const daysBeforeRenewal = Math.floor((Date.parse(renewal) - Date.parse(capReachedAt)) / DAY_MS);
  if (daysBeforeRenewal < 1) return;
  org.state.capForecastFor = renewal;
  emit(
    org,
    'auto_recharge.cap_forecast',
    `At the current rate, auto-recharge will reach its monthly cap on ${capReachedAt.slice(0, 10)}, ${daysBeforeRenewal} days before renewal.`,
    { capReachedAt, nextRenewalAt: renewal, daysBeforeRenewal, burnRateCreditsPerDay: Math.round(burnRateCreditsPerDay) },
  );
  await commit(org);
}

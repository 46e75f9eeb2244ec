// Monthly auto allocation: an agency buys call minutes for a sub-account every month.
import type { MeterRate } from './pricing';
import { topUpAmountCents, usageCredits } from './pricing';

export interface AllocationMinutes {
  basicMinutes: number;
  premiumMinutes: number;
}

export interface AllocationRates {
  basic: MeterRate;
  premium: MeterRate;
}

/** Credits that buy these minutes at the given rates (each rate per second of call). */
export function allocationCredits(minutes: AllocationMinutes, rates: AllocationRates): number {
  return usageCredits(minutes.basicMinutes * 60, rates.basic) + usageCredits(minutes.premiumMinutes * 60, rates.premium);
}

export function allocationChargeCents(minutes: AllocationMinutes, rates: AllocationRates, pricePer1000CreditsCents: number): number {
  return topUpAmountCents(allocationCredits(minutes, rates), pricePer1000CreditsCents);
}

/** What the agency sets for one sub-account: the minutes, and the card to charge (absent: the default card). */
export interface AllocationRequest extends AllocationMinutes {
  paymentMethodId?: string;
}

export const allocationIsOff = (minutes: AllocationMinutes) => minutes.basicMinutes === 0 && minutes.premiumMinutes === 0;

/** An agency's monthly allocation to one sub-account. */
export interface Allocation extends AllocationMinutes {
  /** Runs fall on this instant's day of later months. */
  anchor: string;
  runs: number;
  nextRunAt: string;
  /** The agency's card for this allocation; absent: its default card. */
  paymentMethodId?: string;
}

// Correcting usage: a usage event recorded in error is voided, and each pool gets back what the
// event took from it (to amend, void and send a new event). PostgreSQL stores the event's split
// (record_usage) and writes the void (store/usageEvents.ts); these are the rules it applies.

import { DAY_MS } from './burnForecast';
import { OCCURRED_AT_WINDOW, type PricedUsageEvent } from './usage';

/** USAGE_CORRECTION_WINDOW_DAYS unset: as long as a late event may be reported (35 days). */
export const DEFAULT_USAGE_CORRECTION_WINDOW_DAYS = OCCURRED_AT_WINDOW.pastMs / DAY_MS;

export interface GrantPart {
  grantId: string;
  credits: number;
}

/** How an event's credits were taken, pool by pool: plan first, then grants, then the wallet. */
export interface UsageSplit {
  plan: number;
  grants: number;
  wallet: number;
}

/** The split with the grants it took from, in spend order: the event's usage ledger entries. */
export interface EventDebit {
  plan: number;
  grants: GrantPart[];
  wallet: number;
}

/** A usage event as recorded: priced, split across the pools, maybe voided since. */
export interface UsageEvent extends PricedUsageEvent {
  occurredAt: string;
  recordedAt: string;
  split: UsageSplit;
  status: 'recorded' | 'voided';
  voidedAt: string | null;
  voidReason: string | null;
}

/** Where a void puts the credits back; `forfeited`: grant parts whose grant has ended. */
export interface VoidReturn {
  plan: number;
  grants: GrantPart[];
  wallet: number;
  forfeited: GrantPart[];
}

export interface VoidContext {
  /** The balance is still in the period the event was recorded in. */
  samePeriod: boolean;
  /** Plan credits the period may take back: what it granted less what remains (none once the subscription lapsed). */
  planRoom: number;
  /** The grants still live (not expired, not voided): only they take their credits back. */
  liveGrantIds: ReadonlySet<string>;
}

/**
 * What a void gives back, pool by pool:
 * - plan credits to the plan while it is the period they were taken in, up to what the period
 *   granted; otherwise (a renewal since, or a smaller plan) to the wallet: the customer paid for them;
 * - grant credits to their grant while it lives; a grant that has expired or been voided since
 *   takes nothing back and the part is forfeited (it would have expired or been voided with it);
 * - wallet credits to the wallet.
 */
export function voidReturn(split: EventDebit, ctx: VoidContext): VoidReturn {
  const plan = ctx.samePeriod ? Math.min(split.plan, Math.max(ctx.planRoom, 0)) : 0;
  const grants = split.grants.filter((part) => ctx.liveGrantIds.has(part.grantId));
  const forfeited = split.grants.filter((part) => !ctx.liveGrantIds.has(part.grantId));
  return { plan, grants, wallet: split.wallet + split.plan - plan, forfeited };
}

export const grantCredits = (parts: readonly GrantPart[]): number => parts.reduce((sum, part) => sum + part.credits, 0);

/** The credits a void gives back in all (available rises by this much). */
export const returnedCredits = (r: VoidReturn): number => r.plan + grantCredits(r.grants) + r.wallet;

/** Usage may be voided until `windowDays` after it occurred. */
export function correctionWindowOpen(occurredAt: string, now: number, windowDays: number): boolean {
  return now <= Date.parse(occurredAt) + windowDays * DAY_MS;
}

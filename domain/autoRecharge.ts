// Auto-recharge rules: when to charge, how much, the monthly cap, and the failure count.
import { MAX_CREDITS } from './subscription';

export const DISABLED_AFTER_FAILURES_MESSAGE =
  'Auto-recharge was disabled after multiple failed payment attempts. Please update your payment method and re-enable.';
/** Why auto-recharge is off after a dispute opened: the card under dispute is not charged again until the Owner says so. */
export const DISABLED_AFTER_DISPUTE_MESSAGE = 'A payment was disputed. Auto-recharge is off until the dispute is resolved.';

/** `fixed` buys `rechargeCredits`; `to_target` buys what lifts available to `targetCredits`. */
export const RECHARGE_MODES = ['fixed', 'to_target'] as const;
export type RechargeMode = (typeof RECHARGE_MODES)[number];

export interface AutoRechargeSettings {
  enabled: boolean;
  thresholdCredits: number;
  rechargeCredits: number;
  maxRechargesPerMonth: number;
  /** Missing in settings stored before the mode existed: fixed. */
  mode?: RechargeMode;
  /** Above thresholdCredits; required with to_target, kept (unused) with fixed. */
  targetCredits?: number;
}

/** What decides a recharge's size. */
export type RechargeAmountSettings = Pick<AutoRechargeSettings, 'rechargeCredits' | 'mode' | 'targetCredits'>;

export const rechargeMode = (settings: RechargeAmountSettings): RechargeMode => settings.mode ?? 'fixed';

/**
 * Credits one recharge buys at this available balance: fixed, `rechargeCredits`; to_target,
 * max(minimum top-up, targetCredits − available), never above MAX_CREDITS (a deep debt buys no
 * more than one top-up may).
 */
export function rechargeCreditsFor(settings: RechargeAmountSettings, availableCredits: number, minTopUpCredits: number): number {
  if (rechargeMode(settings) !== 'to_target' || settings.targetCredits === undefined) return settings.rechargeCredits;
  return Math.min(MAX_CREDITS, Math.max(minTopUpCredits, settings.targetCredits - availableCredits));
}

export interface AutoRechargeCounters {
  rechargesUsedThisMonth: number;
  lastRechargedAt: string | null;
  consecutiveFailures: number;
  disabledReason: string | null;
  /** Epoch ms before which no new attempt starts (backoff after a decline); null = no wait. */
  nextAttemptAt: number | null;
  /** The cap_reached event is sent once per billing period. */
  capReachedNotified: boolean;
}

export interface FailurePolicy {
  retryDelayMs: number;
  maxConsecutiveFailures: number;
}

export const DEFAULT_AUTO_RECHARGE: AutoRechargeSettings = {
  enabled: false,
  thresholdCredits: 0,
  rechargeCredits: 500,
  maxRechargesPerMonth: 5,
};

export const INITIAL_COUNTERS: AutoRechargeCounters = {
  rechargesUsedThisMonth: 0,
  lastRechargedAt: null,
  consecutiveFailures: 0,
  disabledReason: null,
  nextAttemptAt: null,
  capReachedNotified: false,
};

export interface RechargeContext {
  settings: AutoRechargeSettings;
  counters: AutoRechargeCounters;
  availableCredits: number;
  paymentInFlight: boolean;
  hasPaymentMethod: boolean;
  subscriptionActive: boolean;
  now: number;
}

export type RechargeDecision =
  | { action: 'charge' }
  | { action: 'wait_until'; at: number }
  | {
      action: 'none';
      reason: 'disabled' | 'above_threshold' | 'cap_reached' | 'payment_in_flight' | 'no_payment_method' | 'subscription_inactive';
    };

export function capReached(settings: AutoRechargeSettings, counters: AutoRechargeCounters): boolean {
  return counters.rechargesUsedThisMonth >= settings.maxRechargesPerMonth;
}

/** Evaluated after every change of balance or settings; no polling. */
export function rechargeDecision(ctx: RechargeContext): RechargeDecision {
  const { settings, counters } = ctx;
  if (!settings.enabled) return { action: 'none', reason: 'disabled' };
  if (ctx.availableCredits >= settings.thresholdCredits) return { action: 'none', reason: 'above_threshold' };
  if (capReached(settings, counters)) return { action: 'none', reason: 'cap_reached' };
  if (ctx.paymentInFlight) return { action: 'none', reason: 'payment_in_flight' };
  if (!ctx.subscriptionActive) return { action: 'none', reason: 'subscription_inactive' };
  if (!ctx.hasPaymentMethod) return { action: 'none', reason: 'no_payment_method' };
  if (counters.nextAttemptAt !== null && ctx.now < counters.nextAttemptAt) {
    return { action: 'wait_until', at: counters.nextAttemptAt };
  }
  return { action: 'charge' };
}

export function afterRechargeSuccess(counters: AutoRechargeCounters, nowIso: string): AutoRechargeCounters {
  return {
    ...counters,
    rechargesUsedThisMonth: counters.rechargesUsedThisMonth + 1,
    lastRechargedAt: nowIso,
    consecutiveFailures: 0,
    nextAttemptAt: null,
  };
}

export interface FailureOutcome {
  counters: AutoRechargeCounters;
  /** True when this failure turned auto-recharge off. */
  disabled: boolean;
}

/** A failed attempt waits out the backoff; the Nth consecutive one disables auto-recharge. */
export function afterRechargeFailure(counters: AutoRechargeCounters, policy: FailurePolicy, now: number): FailureOutcome {
  const consecutiveFailures = counters.consecutiveFailures + 1;
  const disabled = consecutiveFailures >= policy.maxConsecutiveFailures;
  return {
    disabled,
    counters: {
      ...counters,
      consecutiveFailures,
      nextAttemptAt: disabled ? null : now + policy.retryDelayMs,
      disabledReason: disabled ? DISABLED_AFTER_FAILURES_MESSAGE : counters.disabledReason,
    },
  };
}

/**
 * Turning auto-recharge on (from off) is the Owner re-enabling: the failure history starts over.
 * Editing settings while it is on keeps the count and the backoff, so edits cannot force retries.
 */
export function afterSettingsSaved(
  counters: AutoRechargeCounters,
  previous: AutoRechargeSettings,
  next: AutoRechargeSettings,
): AutoRechargeCounters {
  if (previous.enabled || !next.enabled) return counters;
  return { ...counters, consecutiveFailures: 0, disabledReason: null, nextAttemptAt: null };
}

/** Renewal starts a new month of recharges. */
export function afterRenewal(counters: AutoRechargeCounters): AutoRechargeCounters {
  return { ...counters, rechargesUsedThisMonth: 0, capReachedNotified: false };
}

export type EnableRefusal = 'subscription_required' | 'payment_method_required';

export function enableRefusal(subscriptionActive: boolean, hasPaymentMethod: boolean): EnableRefusal | null {
  if (!subscriptionActive) return 'subscription_required';
  if (!hasPaymentMethod) return 'payment_method_required';
  return null;
}

export const ENABLE_REFUSAL_MESSAGES: Record<EnableRefusal, string> = {
  subscription_required: 'An active subscription is required to enable auto-recharge.',
  payment_method_required: 'A payment method is required to enable auto-recharge.',
};

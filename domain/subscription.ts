// The subscription the billing system (Stripe or an operator) sets: its plan credits and period.

export type SubscriptionStatus = 'active' | 'past_due' | 'canceled';

export const SUBSCRIPTION_STATUSES: readonly SubscriptionStatus[] = ['active', 'past_due', 'canceled'];

/**
 * The most credits any one figure may be set to (plan credits, a top-up, a threshold, a limit).
 * Every sum of them stays exact in JavaScript numbers and far inside PostgreSQL's bigint.
 */
export const MAX_CREDITS = 1_000_000_000;

/** The latest period end an ISO 8601 timestamp with a four-digit year can name (9999-12-31T23:59:59Z). */
export const MAX_PERIOD_END_MS = 253_402_300_799_000;

export interface Subscription {
  status: SubscriptionStatus;
  planCredits: number;
  /** ISO 8601; the end of the current billing period, when plan credits renew. */
  currentPeriodEnd: string;
}

export function subscriptionActive(subscription: Subscription | null): boolean {
  return subscription?.status === 'active';
}

/** The plan credits a period gives: the plan's while the subscription is active, none otherwise. */
export function planAllowance(subscription: Subscription | null): number {
  return subscription && subscriptionActive(subscription) ? subscription.planCredits : 0;
}

/**
 * Why a subscription cannot be set, or null. Whoever sets one (the API, a provider event, a direct
 * update) is held to these bounds, so no figure the ledger cannot hold reaches a commit.
 */
export function subscriptionRefusal(subscription: Subscription): string | null {
  const { status, planCredits, currentPeriodEnd } = subscription ?? {};
  if (!SUBSCRIPTION_STATUSES.includes(status)) return `status must be one of ${SUBSCRIPTION_STATUSES.join(', ')}`;
  if (!Number.isSafeInteger(planCredits) || planCredits < 0 || planCredits > MAX_CREDITS) return `planCredits must be a whole number from 0 to ${MAX_CREDITS}`;
  const periodEnd = typeof currentPeriodEnd === 'string' ? Date.parse(currentPeriodEnd) : NaN;
  if (!(periodEnd >= 0 && periodEnd <= MAX_PERIOD_END_MS)) return 'currentPeriodEnd must be a timestamp between 1970 and 9999';
  return null;
}

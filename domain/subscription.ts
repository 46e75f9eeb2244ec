// The subscription the billing system (Stripe or an operator) sets: its plan credits and period.

export type SubscriptionStatus = 'active' | 'past_due' | 'canceled';

export interface Subscription {
  status: SubscriptionStatus;
  planCredits: number;
  /** ISO 8601; the end of the current billing period, when plan credits renew. */
  currentPeriodEnd: string;
}

export function subscriptionActive(subscription: Subscription | null): boolean {
  return subscription?.status === 'active';
}

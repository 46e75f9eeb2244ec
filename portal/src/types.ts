// The API's answers the page reads (the billing summary's type is the service's own).
import type { BillingSummary } from '../../domain/summary';
import type { AllocationRates } from '../../domain/allocation';
import type { CreditGrant } from '../../domain/grants';

export type { BillingSummary, CreditGrant };
export type Agent = BillingSummary['agents'][number];

export interface Session {
  org: string;
  role: 'owner' | 'member';
  /** Set when payments go through Stripe: 3-D Secure is then Stripe.js's. */
  stripePublishableKey: string | null;
}

export interface PriceBook {
  creditPricePer1000Cents: number;
  minTopUpCredits: number;
  allocationRates: AllocationRates;
}

export interface BillingEvent {
  id: string;
  type: string;
  at: string;
  message: string;
}

export interface UsageDay {
  date: string;
  planCredits: number;
  /** Credits taken from credit grants (absent from answers of older servers). */
  grantCredits?: number;
  walletCredits: number;
}

export interface Forecast {
  burnRateCreditsPerDay: number;
  daysUntilThreshold: number | null;
  daysUntilEmpty: number | null;
  projectedRechargesThisPeriod: number;
  capReachedBeforeRenewal: boolean;
}

export interface SubAccount {
  id: string;
  name: string;
  availableCredits: number;
}

/** What a page section tells the page after a change: fetch everything again now. */
export const CHANGED = 'portal-changed';
export const changed = (el: HTMLElement) => el.dispatchEvent(new CustomEvent(CHANGED, { bubbles: true }));

export const OWNER_ONLY = 'Only the organization owner can manage auto-recharge.';
export const AGENCY_READ_ONLY = 'Agencies can monitor sub-accounts but cannot manage their auto-recharge.';

/** GET /v1/orgs/:org/payments: one charge. */
export interface Payment {
  id: string;
  kind: 'auto_recharge' | 'top_up' | 'allocation';
  credits: number;
  amountCents: number;
  status: 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'refunded' | 'partially_refunded' | 'disputed';
  card: { brand: string; last4: string } | null;
  createdAt: string;
  refundedCents: number;
  disputed: boolean;
  receiptNumber: string | null;
  receiptUrl: string | null;
  failureMessage: string | null;
}

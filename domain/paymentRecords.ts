// Payments as the customer sees them: every charge with its card and receipt, and the refunds and
// dispute against it. The rules that bound what a refund or a dispute takes back live here; the
// commit (store/payments.ts) applies them to the payment as it stands under the commit's lock.
import { ceilDiv } from './pricing';
import type { PaymentKind } from './payments';

/** Where the charge itself stands (what the workflow writes). */
export type ChargeStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed';

/** What the list shows: the charge, or what happened to it afterwards. */
export const PAYMENT_STATUSES = ['pending', 'requires_action', 'succeeded', 'failed', 'refunded', 'partially_refunded', 'disputed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export type DisputeStatus = 'open' | 'won' | 'lost';

export interface CardSummary {
  brand: string;
  last4: string;
}

/** A payment as the paying organization's workflow writes it with each commit. */
export interface PaymentUpdate {
  id: string;
  kind: PaymentKind;
  credits: number;
  amountCents: number;
  pricePer1000CreditsCents: number;
  status: ChargeStatus;
  paymentIntentId: string | null;
  card: CardSummary | null;
  /** An allocation's sub-account: where its credits went, and where refunds take them from. */
  subAccountId: string | null;
  createdAt: string;
  settledAt: string | null;
  failureMessage: string | null;
  /** Stripe's own receipt for the charge, when the provider has one. */
  providerReceiptUrl: string | null;
}

/** What refunds and a dispute have done to a payment so far. */
export interface PaymentMoney {
  credits: number;
  amountCents: number;
  pricePer1000CreditsCents: number;
  refundedCents: number;
  refundedCredits: number;
  disputeId: string | null;
  disputeStatus: DisputeStatus | null;
  /** Credits a dispute took and has not given back. */
  disputedCredits: number;
}

export interface StoredPayment extends PaymentUpdate, PaymentMoney {
  orgId: string;
  receiptNumber: string | null;
}

export function paymentStatus(p: Pick<StoredPayment, 'status' | 'credits' | 'amountCents' | 'refundedCents' | 'refundedCredits' | 'disputeStatus'>): PaymentStatus {
  if (p.status !== 'succeeded') return p.status;
  if (p.disputeStatus === 'open' || p.disputeStatus === 'lost') return 'disputed';
  if (p.refundedCredits >= p.credits || (p.amountCents > 0 && p.refundedCents >= p.amountCents)) return 'refunded';
  if (p.refundedCents > 0 || p.refundedCredits > 0) return 'partially_refunded';
  return 'succeeded';
}

/** Whether a dispute holds the payment's credits: open, or lost. */
export const isDisputed = (p: Pick<PaymentMoney, 'disputeStatus'>) => p.disputeStatus === 'open' || p.disputeStatus === 'lost';

/** Credits a refund may still take back: what the payment added less what refunds took and a dispute holds. */
export const refundableCredits = (p: PaymentMoney): number => Math.max(0, p.credits - p.refundedCredits - p.disputedCredits);

export const refundableCents = (p: PaymentMoney): number => Math.max(0, p.amountCents - p.refundedCents);

/**
 * Cents refunded for `credits`: ceil(credits × price / 1000) at the payment's own price. A refund of
 * every credit left returns every cent left (ceilings of parts may not add up to the ceiling of the
 * whole), and no refund returns more than is left.
 */
export function refundCentsFor(p: PaymentMoney, credits: number): number {
  if (credits >= refundableCredits(p) && p.disputedCredits === 0) return refundableCents(p);
  return Math.min(refundableCents(p), Number(ceilDiv(BigInt(credits) * BigInt(p.pricePer1000CreditsCents), 1000n)));
}

/**
 * Credits a provider refund of `cents` takes back. Our own refunds name their credits (in the
 * refund's metadata); one made in the provider's dashboard names cents only: it takes the credits
 * those cents bought at the payment's price, and every credit left once the whole amount is
 * refunded. Never more than are left.
 */
export function refundCreditsFor(p: PaymentMoney, cents: number, namedCredits: number | null): number {
  const left = refundableCredits(p);
  if (namedCredits !== null) return Math.min(left, namedCredits);
  if (cents >= refundableCents(p)) return left;
  if (p.pricePer1000CreditsCents === 0) return 0;
  return Math.min(left, Number((BigInt(cents) * 1000n) / BigInt(p.pricePer1000CreditsCents)));
}

/** A change to a payment the provider (or our refund call) reported; applied once by its id. */
export type PaymentChange =
  | { type: 'refund'; paymentId: string; refundId: string; amountCents: number; credits: number | null }
  | { type: 'dispute'; paymentId: string; disputeId: string; status: DisputeStatus };

/** What a commit did with a payment change: the ledger entry it wrote and the payment after it. */
export interface AppliedPaymentChange {
  paymentId: string;
  kind: 'refund' | 'dispute' | 'dispute_reversal' | 'dispute_lost';
  /** The refund or dispute id. */
  ref: string;
  /** Credits moved (negative: taken back). */
  credits: number;
  amountCents: number;
}

/**
 * What a dispute change does to a payment: opening (or losing, first heard of) takes every credit a
 * refund has not; winning gives back what the dispute took. Each status applies once; a dispute
 * closed before it was heard of as opened takes (lost) or moves nothing (won), and the late
 * opening then changes nothing.
 */
export function disputeOutcome(p: PaymentMoney, disputeId: string, status: DisputeStatus): { credits: number; next: Pick<PaymentMoney, 'disputeId' | 'disputeStatus' | 'disputedCredits'> } | null {
  if (p.disputeId !== null && p.disputeId !== disputeId) return null; // one dispute per charge
  const current = p.disputeId === null ? null : p.disputeStatus;
  if (current === status || current === 'won' || current === 'lost') return null;
  if (status === 'won') {
    return { credits: p.disputedCredits, next: { disputeId, disputeStatus: 'won', disputedCredits: 0 } };
  }
  if (current === 'open') return { credits: 0, next: { disputeId, disputeStatus: status, disputedCredits: p.disputedCredits } }; // lost: what it took stays taken
  const taken = refundableCredits(p);
  return { credits: -taken, next: { disputeId, disputeStatus: status, disputedCredits: taken } };
}

/** ACME-0001: the organization's receipt prefix and its sequence number. */
export function receiptNumber(orgId: string, sequence: number): string {
  return `${receiptPrefix(orgId)}-${String(sequence).padStart(4, '0')}`;
}

/** From the organization's id (stable, unlike its name): its letters and digits in capitals. */
export function receiptPrefix(orgId: string): string {
  return orgId.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 16) || 'ORG';
}

const CREDITS = new Intl.NumberFormat('en-US');
const DOLLARS = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export const formatCredits = (credits: number) => CREDITS.format(credits);
export const formatCents = (cents: number) => DOLLARS.format(cents / 100);

/** "2,000 credits at $20.00 per 1,000 credits" */
export const receiptLine = (p: Pick<PaymentUpdate, 'credits' | 'pricePer1000CreditsCents'>) =>
  `${formatCredits(p.credits)} credits at ${formatCents(p.pricePer1000CreditsCents)} per 1,000 credits`;

/** Why an operator's refund of `credits` (undefined: every credit left) cannot be made now, or null. */
export function refundRefusal(p: PaymentMoney & { status: ChargeStatus; paymentIntentId: string | null }, credits: number | undefined): { code: string; message: string } | null {
  if (p.status !== 'succeeded' || !p.paymentIntentId) return { code: 'payment_not_refundable', message: `Only a succeeded payment can be refunded; this one is ${p.status}.` };
  if (isDisputed(p)) return { code: 'payment_disputed', message: 'This payment is disputed: the dispute decides what is returned.' };
  const left = refundableCredits(p);
  if (left === 0) return { code: 'payment_fully_refunded', message: 'Every credit of this payment was refunded already.' };
  if (credits !== undefined && credits > left) return { code: 'refund_exceeds_remaining', message: `Only ${formatCredits(left)} credits of this payment are left to refund.` };
  return null;
}

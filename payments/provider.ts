// The interface every payment provider implements (sandbox in process, Stripe over HTTP).

export interface ChargeRequest {
  orgId: string;
  /** Our payment id; travels in the intent's metadata so webhooks find their way back. */
  paymentId: string;
  /** Deterministic per payment; the same key always names the same charge. */
  idempotencyKey: string;
  /** When the payment was started (ISO); unknown means old enough that the key may have expired. */
  startedAt?: string;
  paymentMethodId: string;
  amountCents: number;
  description: string;
}

export type PaymentIntentState =
  | { status: 'succeeded'; paymentIntentId: string }
  | { status: 'processing'; paymentIntentId: string }
  /** The bank asks the customer to authenticate (3-D Secure); completion arrives later. */
  | { status: 'requires_action'; paymentIntentId: string; clientSecret: string }
  | { status: 'failed'; paymentIntentId: string | null; declineCode: string; message: string };

/** A card as the provider describes it (Stripe's `card` object: brand, last 4, expiry). */
export interface CardDetails {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

export interface PaymentProvider extends RefundingProvider {
  readonly name: 'sandbox' | 'stripe';
  /** Declines come back as `failed`; anything thrown is a transient error worth retrying. */
  charge(request: ChargeRequest): Promise<PaymentIntentState>;
  /** The intent as the provider has it now (webhooks and reconciliation re-read before crediting). */
  retrieve(paymentIntentId: string): Promise<PaymentIntentState>;
  /** Cancels an intent still waiting for the customer; returns its final state (it may have succeeded meanwhile). */
  cancel(paymentIntentId: string): Promise<PaymentIntentState>;
  /** Saves a payment method for the organization's off-session charges; throws PaymentMethodRejected. */
  attachPaymentMethod(orgId: string, paymentMethodId: string): Promise<void>;
  /** The card behind a payment method, or null when the provider has no card by that id. */
  paymentMethodDetails(paymentMethodId: string): Promise<CardDetails | null>;
  /** A page where the customer saves a card for the organization (Stripe Checkout in setup mode; the
   * sandbox's own page, whose url is a path on this service). Expires, and saves at most one card. */
  createPaymentMethodSession(orgId: string, returnUrl: string): Promise<PaymentMethodSession>;
  /** The card a setup intent saved and the organization it was saved for, as the provider has it
   * now (events are re-read, as payment intents are), or null while it has saved none. */
  savedPaymentMethod(setupIntentId: string): Promise<SavedPaymentMethod | null>;
  /** The organization's cards as the provider holds them, most recent first. */
  listPaymentMethods(orgId: string): Promise<ProviderCard[]>;
  /** Detaches a card from its customer; one already detached or unknown is no error. */
  detachPaymentMethod(paymentMethodId: string): Promise<void>;
  /** The customer's default card at the provider (Stripe's invoice_settings.default_payment_method). */
  setDefaultPaymentMethod(orgId: string, paymentMethodId: string | null): Promise<void>;
}

export interface PaymentMethodSession {
  url: string;
  expiresAt: string;
}

export interface SavedPaymentMethod {
  orgId: string;
  paymentMethodId: string;
}

export interface ProviderCard extends CardDetails {
  id: string;
}

export class PaymentMethodRejected extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The failure type a declined charge is reported with: a business outcome, never retried. */
export const CARD_DECLINED = 'CardDeclined';

export interface DeclineDetails {
  declineCode: string;
  paymentIntentId: string | null;
}

export interface RefundRequest {
  paymentIntentId: string;
  amountCents: number;
  /** Deterministic per refund: asked again, the provider answers with the refund it made. */
  idempotencyKey: string;
  /** Travels on the refund, so its webhooks say which payment and how many credits. */
  metadata: Record<string, string>;
}

export interface RefundResult {
  refundId: string;
  amountCents: number;
  status: string;
}

/** Refunds and receipts, next to charges (a provider implements both interfaces). */
export interface RefundingProvider {
  refund(request: RefundRequest): Promise<RefundResult>;
  /** The provider's own receipt for a succeeded intent's charge (Stripe's receipt_url), or null. */
  receiptUrl(paymentIntentId: string): Promise<string | null>;
}

/** The provider refused the refund (already refunded, more than is left): an outcome, never retried. */
export class RefundRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The failure type a refused refund is reported with. */
export const REFUND_REFUSED = 'RefundRefused';

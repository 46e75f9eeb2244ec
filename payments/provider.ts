// The interface every payment provider implements (sandbox in process, Stripe over HTTP).

export interface ChargeRequest {
  orgId: string;
  /** Deterministic per payment; the same key always names the same charge. */
  idempotencyKey: string;
  paymentMethodId: string;
  amountCents: number;
  description: string;
}

export type PaymentIntentState =
  | { status: 'succeeded'; paymentIntentId: string }
  | { status: 'processing'; paymentIntentId: string }
  | { status: 'requires_action'; paymentIntentId: string; clientSecret: string }
  | { status: 'failed'; paymentIntentId: string | null; declineCode: string; message: string };

export interface PaymentProvider {
  readonly name: 'sandbox' | 'stripe';
  /** Declines come back as `failed`; anything thrown is a transient error worth retrying. */
  charge(request: ChargeRequest): Promise<PaymentIntentState>;
}

/** The failure type a declined charge is reported with: a business outcome, never retried. */
export const CARD_DECLINED = 'CardDeclined';

export interface DeclineDetails {
  declineCode: string;
  paymentIntentId: string | null;
}

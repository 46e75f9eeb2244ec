// Payments the organization's workflow makes: the one in flight, and manual top-ups as their key answers them.

export type PaymentKind = 'auto_recharge' | 'top_up' | 'allocation';

export interface PendingPayment {
  /** Deterministic; also the provider idempotency key and the ledger ref. */
  id: string;
  kind: PaymentKind;
  credits: number;
  amountCents: number;
  paymentMethodId: string;
  status: 'processing' | 'requires_action';
  paymentIntentId: string | null;
  clientSecret: string | null;
  startedAt: string;
  /** For allocations: the sub-account the credits go to. */
  subAccountId?: string;
  /** For manual top-ups: the Idempotency-Key that names it. */
  idempotencyKey?: string;
  /** Epoch ms of the next reconciliation with the provider while the payment waits (a webhook may be lost). */
  checkAfter: number | null;
  /** Past its expiry, the cancel was tried (the provider may have refused: it was still processing). */
  cancelTried?: boolean;
  /** The price it was charged at (absent from payments begun before payments were recorded). */
  pricePer1000CreditsCents?: number;
  /** The card charged, once the charge answered. */
  card?: { brand: string; last4: string } | null;
}

/** A manual top-up as its Idempotency-Key answers it, now and on every retry. */
export interface TopUp {
  idempotencyKey: string;
  id: string;
  credits: number;
  amountCents: number;
  status: 'processing' | 'requires_action' | 'succeeded' | 'failed';
  clientSecret: string | null;
  declineCode: string | null;
  message: string | null;
}

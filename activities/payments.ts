// Charges a saved payment method through the configured provider.
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { paymentDuration, paymentsTotal } from '../observability/metrics';
import type { PaymentKind } from '../domain/payments';
import type { CardSummary } from '../domain/paymentRecords';
import { logger } from '../observability/logger';
import { CARD_DECLINED, REFUND_REFUSED, RefundRefused, type DeclineDetails, type PaymentIntentState, type PaymentProvider, type RefundResult } from '../payments/provider';

export interface ChargePaymentInput {
  orgId: string;
  paymentId: string;
  /** When the payment was started; absent from activities scheduled by an older workflow. */
  startedAt?: string;
  paymentMethodId: string;
  amountCents: number;
  credits: number;
  kind: PaymentKind;
}

/** What the payment's row shows besides the intent: the card charged, and the provider's own receipt. */
export interface PaymentDetails {
  card?: CardSummary | null;
  providerReceiptUrl?: string | null;
}

export type ChargeOutcome = Exclude<PaymentIntentState, { status: 'failed' }> & PaymentDetails;

/** The card behind a payment method, for the payment's row and receipt. A lookup that fails leaves it blank rather than hold up the charge. */
async function cardOf(provider: PaymentProvider, paymentMethodId: string): Promise<CardSummary | null> {
  try {
    const card = await provider.paymentMethodDetails(paymentMethodId);
    return card && { brand: card.brand, last4: card.last4 };
  } catch (err) {
    logger.warn({ paymentMethodId, error: String(err) }, 'card details unavailable for a payment');
    return null;
  }
}

/** The provider's own receipt of a succeeded intent, when it has one (a failed lookup leaves ours alone). */
export async function providerReceiptUrl(provider: PaymentProvider, state: PaymentIntentState): Promise<PaymentDetails> {
  if (state.status !== 'succeeded') return {};
  try {
    return { providerReceiptUrl: await provider.receiptUrl(state.paymentIntentId) };
  } catch (err) {
    logger.warn({ paymentIntentId: state.paymentIntentId, error: String(err) }, 'provider receipt unavailable');
    return {};
  }
}

/**
 * A decline is a business outcome: thrown as a non-retryable failure the workflow counts.
 * Network and provider errors propagate and Temporal retries them with the same idempotency key.
 */
export async function chargePayment(provider: PaymentProvider, input: ChargePaymentInput): Promise<ChargeOutcome> {
  const stopTimer = paymentDuration.startTimer({ kind: input.kind });
  const result = await provider.charge({
    orgId: input.orgId,
    paymentId: input.paymentId,
    idempotencyKey: input.paymentId,
    startedAt: input.startedAt,
    paymentMethodId: input.paymentMethodId,
    amountCents: input.amountCents,
    description: `${input.credits} credits`,
  });
  stopTimer();
  paymentsTotal.inc({ kind: input.kind, outcome: result.status === 'failed' ? 'declined' : result.status });
  const card = await cardOf(provider, input.paymentMethodId);
  if (result.status === 'failed') {
    const details: DeclineDetails & PaymentDetails = { declineCode: result.declineCode, paymentIntentId: result.paymentIntentId, card };
    // BENIGN: an expected outcome, not an error worth a warning in the worker's logs.
    throw ApplicationFailure.create({
      type: CARD_DECLINED,
      message: result.message,
      nonRetryable: true,
      details: [details],
      category: ApplicationFailureCategory.BENIGN,
    });
  }
  return { ...result, card, ...(await providerReceiptUrl(provider, result)) };
}

export interface RefundPaymentInput {
  paymentIntentId: string;
  amountCents: number;
  credits: number;
  paymentId: string;
  orgId: string;
  /** Deterministic per refund (the workflow fixes it before scheduling): a retry gets the same refund. */
  idempotencyKey: string;
}

/** A refund through the provider; one it refuses is a non-retryable failure the workflow answers with. */
export async function refundPayment(provider: PaymentProvider, input: RefundPaymentInput): Promise<RefundResult> {
  try {
    return await provider.refund({
      paymentIntentId: input.paymentIntentId,
      amountCents: input.amountCents,
      idempotencyKey: input.idempotencyKey,
      metadata: { orgId: input.orgId, paymentId: input.paymentId, credits: String(input.credits) },
    });
  } catch (err) {
    if (err instanceof RefundRefused) {
      throw ApplicationFailure.create({ type: REFUND_REFUSED, message: err.message, nonRetryable: true, details: [err.code], category: ApplicationFailureCategory.BENIGN });
    }
    throw err;
  }
}

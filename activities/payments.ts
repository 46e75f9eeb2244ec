// Charges a saved payment method through the configured provider.
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { paymentDuration, paymentsTotal } from '../observability/metrics';
import type { PaymentKind } from '../domain/payments';
import { CARD_DECLINED, type DeclineDetails, type PaymentIntentState, type PaymentProvider } from '../payments/provider';

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

export type ChargeOutcome = Exclude<PaymentIntentState, { status: 'failed' }>;

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
  if (result.status === 'failed') {
    const details: DeclineDetails = { declineCode: result.declineCode, paymentIntentId: result.paymentIntentId };
    // BENIGN: an expected outcome, not an error worth a warning in the worker's logs.
    throw ApplicationFailure.create({
      type: CARD_DECLINED,
      message: result.message,
      nonRetryable: true,
      details: [details],
      category: ApplicationFailureCategory.BENIGN,
    });
  }
  return result;
}

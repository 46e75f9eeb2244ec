// The payment lifecycle: at most one payment in flight. It begins, is charged, and takes the
// provider's answer: settled, or waiting (3-D Secure, processing) to be re-read, and cancelled
// once it expired, without blocking anything else. What a settled payment does depends on its
// kind, in one table. What starts a payment is in autoRecharge.ts, topUps.ts and allocations.ts.
import * as wf from '@temporalio/workflow';
import { afterRechargeFailure, afterRechargeSuccess, DISABLED_AFTER_FAILURES_MESSAGE } from '../../domain/autoRecharge';
import type { Situation } from '../../domain/nextAction';
import { topUpAmountCents } from '../../domain/pricing';
import type { PaymentKind, PendingPayment, TopUp } from '../../domain/payments';
import type { ChargeStatus, PaymentUpdate } from '../../domain/paymentRecords';
import type { PaymentDetails } from '../../activities/payments';
import { CARD_DECLINED, type DeclineDetails, type PaymentIntentState } from '../../payments/provider';
import { noteCapReached } from './capNotices';
import { changeLedger, commit, emit, nowIso, type Org } from './context';
import { queueSubAccountCredit } from './subAccountCredits';

type PaymentFailure = Extract<PaymentIntentState, { status: 'failed' }>;
/** The provider's answer, with the card charged and its own receipt when the activity knew them. */
type ProviderAnswer = PaymentIntentState & PaymentDetails;

/**
 * When this deployment expires purchased credits, the instant a payment's credits expire (behind a
 * patch: histories from before settle to the wallet); otherwise none: the wallet, for good.
 */
export function purchasedCreditsExpiry(org: Org): { expiresAt?: string } {
  const days = org.rules.purchasedCreditsExpireAfterDays;
  if (!days || !wf.patched('purchased-credits-expire')) return {};
  return { expiresAt: new Date(Date.now() + days * 86_400_000).toISOString() };
}

const paymentData = (payment: PendingPayment): Record<string, unknown> => ({ paymentId: payment.id, credits: payment.credits, amountCents: payment.amountCents });

export const nextPaymentId = (org: Org) => `pay_${org.state.paymentIdPrefix}_${++org.state.seq.payment}`;

export function beginPayment(
  org: Org,
  kind: PaymentKind,
  credits: number,
  id: string,
  pricePer1000CreditsCents = org.rules.creditPricePer1000Cents,
  paymentMethodId = org.state.paymentMethodId!,
): PendingPayment {
  const payment: PendingPayment = {
    id,
    kind,
    credits,
    amountCents: topUpAmountCents(credits, pricePer1000CreditsCents),
    paymentMethodId,
    status: 'processing',
    paymentIntentId: null,
    clientSecret: null,
    startedAt: nowIso(),
    checkAfter: null,
    pricePer1000CreditsCents,
  };
  org.state.pendingPayment = payment;
  return payment;
}

/** The payment's row as of now, written with the next commit (the list and its receipt read it). */
function recordPayment(org: Org, payment: PendingPayment, status: ChargeStatus, change: Partial<PaymentUpdate> = {}): void {
  org.pending.payments.push({
    id: payment.id,
    kind: payment.kind,
    credits: payment.credits,
    amountCents: payment.amountCents,
    // Payments begun before prices were kept: the price their amount implies.
    pricePer1000CreditsCents: payment.pricePer1000CreditsCents ?? Math.round((payment.amountCents * 1000) / payment.credits),
    status,
    paymentIntentId: payment.paymentIntentId,
    card: payment.card ?? null,
    subAccountId: payment.subAccountId ?? null,
    createdAt: payment.startedAt,
    settledAt: null,
    failureMessage: null,
    providerReceiptUrl: null,
    ...change,
  });
}

function topUpOf(payment: PendingPayment, change: Partial<TopUp> = {}): TopUp {
  return {
    idempotencyKey: payment.idempotencyKey!,
    id: payment.id,
    credits: payment.credits,
    amountCents: payment.amountCents,
    status: payment.status,
    clientSecret: payment.clientSecret,
    declineCode: null,
    message: null,
    ...change,
  };
}

/** A top-up's row follows its payment (the API answers retries of its Idempotency-Key from it). */
export function recordTopUp(org: Org, payment: PendingPayment, change: Partial<TopUp> = {}) {
  if (payment.kind === 'top_up') org.pending.topUps.push(topUpOf(payment, change));
}

/** Runs the charge activity for a payment; a decline (a non-retryable failure) is an outcome. */
async function charge(org: Org, payment: PendingPayment): Promise<ProviderAnswer> {
  const { orgId } = org.state;
  try {
    return await org.activities.chargePayment({
      orgId,
      paymentId: payment.id,
      startedAt: payment.startedAt,
      paymentMethodId: payment.paymentMethodId,
      amountCents: payment.amountCents,
      credits: payment.credits,
      kind: payment.kind,
    });
  } catch (err) {
    const cause = err instanceof wf.ActivityFailure ? err.cause : undefined;
    if (cause instanceof wf.ApplicationFailure && cause.type === CARD_DECLINED) {
      const details = cause.details?.[0] as DeclineDetails & PaymentDetails;
      return { status: 'failed', paymentIntentId: details.paymentIntentId, declineCode: details.declineCode, message: cause.message, card: details.card };
    }
    // Anything else non-retryable still ends this attempt; the org's workflow must go on.
    wf.log.error('Charge failed without a decline', { orgId, paymentId: payment.id, error: String(err) });
    return { status: 'failed', paymentIntentId: null, declineCode: 'processing_error', message: 'The payment could not be processed.' };
  }
}

/** Commits the payment as started, charges it, and commits where it stands. */
export async function chargeAndSettle(org: Org, payment: PendingPayment): Promise<void> {
  recordPayment(org, payment, 'pending');
  await commit(org);
  await chargeAgain(org, payment);
}

/** Charges a payment committed as started and commits where it stands. Its id is the idempotency key: asked again, the provider answers with the same intent. */
async function chargeAgain(org: Org, payment: PendingPayment): Promise<void> {
  applyPaymentResult(org, payment, await charge(org, payment));
  await commit(org);
}

/**
 * A run seeded from PostgreSQL takes up the payment its predecessor left in flight. One that never
 * heard the provider's answer (the run ended mid-charge) is charged again under its own id, so the
 * provider returns the intent it made, settled once; one waiting with an intent is re-read at once.
 */
export async function resumeSeededPayment(org: Org, payment: PendingPayment): Promise<void> {
  if (payment.paymentIntentId) org.intentUpdates.add(payment.paymentIntentId);
  else await chargeAgain(org, payment);
}

interface Settlement {
  succeeded(org: Org, payment: PendingPayment): void;
  failed(org: Org, payment: PendingPayment, failure: PaymentFailure): void;
}

/** What a settled payment does, by kind. */
const SETTLEMENTS: Record<PaymentKind, Settlement> = {
  auto_recharge: {
    succeeded(org, payment) {
      changeLedger(org, { type: 'credit', kind: 'auto_recharge', credits: payment.credits, ref: payment.id, ...purchasedCreditsExpiry(org) });
      org.state.counters = afterRechargeSuccess(org.state.counters, nowIso());
      emit(org, 'auto_recharge.succeeded', 'Credits topped up successfully.', paymentData(payment));
      noteCapReached(org);
    },
    failed(org, payment, failure) {
      const { retryDelayMs, maxConsecutiveFailures } = org.rules;
      const outcome = afterRechargeFailure(org.state.counters, { retryDelayMs, maxConsecutiveFailures }, Date.now());
      org.state.counters = outcome.counters;
      emit(org, 'auto_recharge.failed', `Auto-recharge payment failed: ${failure.message}`, {
        ...paymentData(payment),
        declineCode: failure.declineCode,
        consecutiveFailures: outcome.counters.consecutiveFailures,
      });
      if (outcome.disabled) {
        org.state.autoRecharge = { ...org.state.autoRecharge, enabled: false };
        emit(org, 'auto_recharge.disabled', DISABLED_AFTER_FAILURES_MESSAGE, { consecutiveFailures: outcome.counters.consecutiveFailures });
      }
    },
  },
  top_up: {
    succeeded(org, payment) {
      changeLedger(org, { type: 'credit', kind: 'top_up', credits: payment.credits, ref: payment.id, ...purchasedCreditsExpiry(org) });
      recordTopUp(org, payment, { status: 'succeeded', clientSecret: null });
      emit(org, 'top_up.succeeded', 'Credits topped up successfully.', paymentData(payment));
    },
    failed(org, payment, failure) {
      recordTopUp(org, payment, { status: 'failed', clientSecret: null, declineCode: failure.declineCode, message: failure.message });
      emit(org, 'top_up.failed', `Top-up payment failed: ${failure.message}`, { ...paymentData(payment), declineCode: failure.declineCode });
    },
  },
  // The agency pays; the credits are the sub-account's. The agency's own pools do not move.
  allocation: {
    succeeded(org, payment) {
      const subAccountId = payment.subAccountId!;
      emit(org, 'allocation.succeeded', `Allocated ${payment.credits} credits to ${subAccountId}.`, { ...paymentData(payment), subAccountId });
      queueSubAccountCredit(org, payment, 'succeeded', `${payment.credits} credits allocated by your agency.`, purchasedCreditsExpiry(org));
    },
    failed(org, payment, failure) {
      const subAccountId = payment.subAccountId!;
      emit(org, 'allocation.failed', `Allocation payment failed: ${failure.message}`, { ...paymentData(payment), subAccountId, declineCode: failure.declineCode });
      queueSubAccountCredit(org, payment, 'failed', `Your agency's allocation payment failed: ${failure.message}`);
    },
  },
};

/** Where a payment stands after the provider answered: settled, or waiting with a reconciliation due. */
function applyPaymentResult(org: Org, payment: PendingPayment, result: ProviderAnswer): void {
  if (result.card) payment.card = result.card;
  if (result.status === 'succeeded' || result.status === 'failed') {
    recordPayment(org, payment, result.status, {
      paymentIntentId: result.paymentIntentId ?? payment.paymentIntentId,
      settledAt: nowIso(),
      failureMessage: result.status === 'failed' ? result.message : null,
      providerReceiptUrl: result.providerReceiptUrl ?? null,
    });
    if (org.state.pendingPayment?.id === payment.id) org.state.pendingPayment = null;
    // The balance moved (or a backoff started): decide again.
    org.balanceCheckDue = true;
    if (result.status === 'succeeded') SETTLEMENTS[payment.kind].succeeded(org, payment);
    else SETTLEMENTS[payment.kind].failed(org, payment, result);
    return;
  }
  const firstAsk = result.status === 'requires_action' && payment.status !== 'requires_action';
  payment.status = result.status;
  payment.paymentIntentId = result.paymentIntentId;
  payment.clientSecret = result.status === 'requires_action' ? result.clientSecret : null;
  payment.checkAfter = Date.now() + org.rules.paymentReconcileIntervalMs;
  recordTopUp(org, payment);
  recordPayment(org, payment, result.status === 'requires_action' ? 'requires_action' : 'pending');
  if (firstAsk) {
    emit(org, 'payment.requires_action', 'Your bank asks you to authenticate this payment.', {
      ...paymentData(payment),
      kind: payment.kind,
      paymentIntentId: result.paymentIntentId,
    });
  }
}

const paymentExpiresAt = (org: Org, payment: PendingPayment) => Date.parse(payment.startedAt) + org.rules.paymentActionTimeoutMs;

/** The payment in flight while it waits for the provider, as the list of due actions sees it. */
export function waitingPayment(org: Org): Situation['waitingPayment'] {
  const payment = org.state.pendingPayment;
  if (!payment?.paymentIntentId || payment.checkAfter === null) return null;
  return { checkAfter: payment.checkAfter, expiresAt: paymentExpiresAt(org, payment), updated: org.intentUpdates.has(payment.paymentIntentId), cancelTried: payment.cancelTried };
}

/** A waiting payment is re-read when a webhook names it or reconciliation is due, and cancelled once it expired. */
export async function checkPendingPayment(org: Org): Promise<void> {
  const payment = org.state.pendingPayment!;
  const intentId = payment.paymentIntentId!;
  org.intentUpdates.delete(intentId);
  const { retrievePayment, cancelPayment } = org.activities;
  if (Date.now() < paymentExpiresAt(org, payment)) {
    const current = await retrievePayment(intentId);
    // A failed authentication leaves the intent confirmable with the client secret the customer
    // holds: cancel it before settling, so it can never be charged later without credits.
    if (current.status !== 'failed') applyPaymentResult(org, payment, current);
    else {
      const final = await cancelPayment(intentId);
      applyPaymentResult(org, payment, final.status === 'failed' ? current : final);
    }
  } else {
    payment.cancelTried = true;
    const final = await cancelPayment(intentId);
    applyPaymentResult(
      org,
      payment,
      // It may have succeeded meanwhile, or still be processing at the provider.
      final.status === 'failed' ? { ...final, message: 'The payment was not authenticated in time and was canceled.', declineCode: 'authentication_timeout' } : final,
    );
  }
  await commit(org);
}

// Payments: at most one in flight; 3-D Secure waits without blocking anything else. What a
// settled payment means depends on its kind, in one table.
import * as wf from '@temporalio/workflow';
import type { BillingActivities } from '../../activities';
import { afterRechargeFailure, afterRechargeSuccess, capReached, DISABLED_AFTER_FAILURES_MESSAGE, rechargeDecision } from '../../domain/autoRecharge';
import { capForecast, DAY_MS } from '../../domain/burnForecast';
import { topUpAmountCents } from '../../domain/pricing';
import type { PaymentKind, PendingPayment, TopUp } from '../../domain/payments';
import { CARD_DECLINED, type DeclineDetails, type PaymentIntentState } from '../../payments/provider';
import { changeLedger, commit, emit, nowIso, refuse, type Org } from './context';

const KEY_CONFLICT = 'idempotency_key_conflict';
const KEY_CONFLICT_MESSAGE = 'This Idempotency-Key was used for a different top-up.';

type PaymentFailure = Extract<PaymentIntentState, { status: 'failed' }>;

const paymentData = (payment: PendingPayment): Record<string, unknown> => ({ paymentId: payment.id, credits: payment.credits, amountCents: payment.amountCents });

export const nextPaymentId = (org: Org) => `pay_${org.state.paymentIdPrefix}_${++org.state.seq.payment}`;

/** The Idempotency-Key names the payment, so even the provider sees one charge per key. */
export const topUpPaymentId = (org: Org, idempotencyKey: string) => `pay_${org.state.paymentIdPrefix}_topup_${idempotencyKey}`;

export function beginPayment(org: Org, kind: PaymentKind, credits: number, id: string, pricePer1000CreditsCents = org.rules.creditPricePer1000Cents): PendingPayment {
  const payment: PendingPayment = {
    id,
    kind,
    credits,
    amountCents: topUpAmountCents(credits, pricePer1000CreditsCents),
    paymentMethodId: org.state.paymentMethodId!,
    status: 'processing',
    paymentIntentId: null,
    clientSecret: null,
    startedAt: nowIso(),
    checkAfter: null,
  };
  org.state.pendingPayment = payment;
  return payment;
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

function recordTopUp(org: Org, payment: PendingPayment, change: Partial<TopUp> = {}) {
  if (payment.kind === 'top_up') org.pending.topUps.push(topUpOf(payment, change));
}

/**
 * Runs the charge activity for a payment; a decline (a non-retryable failure) is an outcome. Shared
 * with the previous design's workflow, which charged the same way.
 */
export async function chargeOutcome(orgId: string, payment: PendingPayment, chargePayment: BillingActivities['chargePayment']): Promise<PaymentIntentState> {
  try {
    return await chargePayment({
      orgId,
      paymentId: payment.id,
      paymentMethodId: payment.paymentMethodId,
      amountCents: payment.amountCents,
      credits: payment.credits,
      kind: payment.kind,
    });
  } catch (err) {
    const cause = err instanceof wf.ActivityFailure ? err.cause : undefined;
    if (cause instanceof wf.ApplicationFailure && cause.type === CARD_DECLINED) {
      const details = cause.details?.[0] as DeclineDetails;
      return { status: 'failed', paymentIntentId: details.paymentIntentId, declineCode: details.declineCode, message: cause.message };
    }
    // Anything else non-retryable still ends this attempt; the org's workflow must go on.
    wf.log.error('Charge failed without a decline', { orgId, paymentId: payment.id, error: String(err) });
    return { status: 'failed', paymentIntentId: null, declineCode: 'processing_error', message: 'The payment could not be processed.' };
  }
}

const charge = (org: Org, payment: PendingPayment) => chargeOutcome(org.state.orgId, payment, org.activities.chargePayment);

/** Commits the payment as started, charges it, and commits where it stands. */
export async function chargeAndSettle(org: Org, payment: PendingPayment): Promise<void> {
  await commit(org);
  applyPaymentResult(org, payment, await charge(org, payment));
  await commit(org);
}

export function noteCapReached(org: Org): void {
  const { autoRecharge: settings, counters } = org.state;
  if (!settings.enabled || counters.capReachedNotified || !capReached(settings, counters)) return;
  org.state.counters = { ...counters, capReachedNotified: true };
  emit(
    org,
    'auto_recharge.cap_reached',
    `Auto-recharge used ${counters.rechargesUsedThisMonth}/${settings.maxRechargesPerMonth} recharges this month and stops until the next renewal.`,
    { rechargesUsedThisMonth: counters.rechargesUsedThisMonth, maxRechargesPerMonth: settings.maxRechargesPerMonth },
  );
}

interface Settlement {
  succeeded(org: Org, payment: PendingPayment): void;
  failed(org: Org, payment: PendingPayment, failure: PaymentFailure): void;
}

/** What a settled payment does, by kind. */
const SETTLEMENTS: Record<PaymentKind, Settlement> = {
  auto_recharge: {
    succeeded(org, payment) {
      changeLedger(org, { type: 'credit', kind: 'auto_recharge', credits: payment.credits, ref: payment.id });
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
      changeLedger(org, { type: 'credit', kind: 'top_up', credits: payment.credits, ref: payment.id });
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
      noticeSubAccount(org, payment, 'succeeded', `${payment.credits} credits allocated by your agency.`);
    },
    failed(org, payment, failure) {
      const subAccountId = payment.subAccountId!;
      emit(org, 'allocation.failed', `Allocation payment failed: ${failure.message}`, { ...paymentData(payment), subAccountId, declineCode: failure.declineCode });
      noticeSubAccount(org, payment, 'failed', `Your agency's allocation payment failed: ${failure.message}`);
    },
  },
};

export function noticeSubAccount(org: Org, payment: Pick<PendingPayment, 'id' | 'credits' | 'subAccountId'>, outcome: 'succeeded' | 'failed', message: string): void {
  org.state.subAccountCredits.push({
    subAccountId: payment.subAccountId!,
    agencyId: org.state.orgId,
    paymentId: payment.id,
    credits: payment.credits,
    outcome,
    message,
    at: nowIso(),
  });
}

/** Where a payment stands after the provider answered: settled, or waiting with a reconciliation due. */
function applyPaymentResult(org: Org, payment: PendingPayment, result: PaymentIntentState): void {
  if (result.status === 'succeeded' || result.status === 'failed') {
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
  if (firstAsk) {
    emit(org, 'payment.requires_action', 'Your bank asks you to authenticate this payment.', {
      ...paymentData(payment),
      kind: payment.kind,
      paymentIntentId: result.paymentIntentId,
    });
  }
}

export const paymentExpiresAt = (org: Org, payment: PendingPayment) => Date.parse(payment.startedAt) + org.rules.paymentActionTimeoutMs;

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

export function rechargeContext(org: Org, availableCredits: number) {
  const { state } = org;
  return {
    settings: state.autoRecharge,
    counters: state.counters,
    availableCredits,
    paymentInFlight: state.pendingPayment !== null,
    hasPaymentMethod: state.paymentMethodId !== null,
    subscriptionActive: state.subscription?.status === 'active',
    now: Date.now(),
  };
}

/** Reads the balance and charges when the rule says so. */
export async function checkBalance(org: Org): Promise<void> {
  org.balanceCheckDue = false;
  const availableCredits = await org.activities.readAvailableCredits(org.state.orgId);
  org.lastAvailableCredits = availableCredits;
  if (rechargeDecision(rechargeContext(org, availableCredits)).action !== 'charge') return;
  const rechargesBefore = org.state.counters.rechargesUsedThisMonth;
  const payment = beginPayment(org, 'auto_recharge', org.state.autoRecharge.rechargeCredits, nextPaymentId(org));
  await chargeAndSettle(org, payment);
  if (org.state.counters.rechargesUsedThisMonth > rechargesBefore && wf.patched('cap-forecast')) await noteCapForecast(org);
}

/**
 * After a successful recharge: when the cap will be reached, at the current burn rate, more than a
 * day before the renewal, the owner is told once per period.
 */
async function noteCapForecast(org: Org): Promise<void> {
  const { autoRecharge: settings, counters, subscription } = org.state;
  const renewal = subscription?.currentPeriodEnd ?? null;
  if (!renewal || org.state.capForecastFor === renewal || counters.rechargesUsedThisMonth >= settings.maxRechargesPerMonth) return;
  const burnRateCreditsPerDay = await org.activities.readBurnRateCreditsPerDay(org.state.orgId);
  const now = Date.now();
  const { capReachedAt } = capForecast({
    availableCredits: org.lastAvailableCredits ?? 0,
    burnRateCreditsPerDay,
    settings,
    rechargesUsedThisMonth: counters.rechargesUsedThisMonth,
    now,
    nextRenewalAt: renewal,
  });
  if (!capReachedAt) return;
  const daysBeforeRenewal = Math.floor((Date.parse(renewal) - Date.parse(capReachedAt)) / DAY_MS);
  if (daysBeforeRenewal < 1) return;
  org.state.capForecastFor = renewal;
  emit(
    org,
    'auto_recharge.cap_forecast',
    `At the current rate, auto-recharge will reach its monthly cap on ${capReachedAt.slice(0, 10)}, ${daysBeforeRenewal} days before renewal.`,
    { capReachedAt, nextRenewalAt: renewal, daysBeforeRenewal, burnRateCreditsPerDay: Math.round(burnRateCreditsPerDay) },
  );
  await commit(org);
}

/** A manual top-up; retries of its Idempotency-Key get the same top-up, never a second charge. */
export async function topUp(org: Org, idempotencyKey: string, credits: number): Promise<TopUp> {
  const id = topUpPaymentId(org, idempotencyKey);
  const inFlight = () => (org.state.pendingPayment?.id === id ? org.state.pendingPayment : null);
  if (!inFlight()) {
    const known = await org.activities.findTopUp(org.state.orgId, idempotencyKey);
    if (known) return known.credits === credits ? known : refuse(KEY_CONFLICT, KEY_CONFLICT_MESSAGE);
    // The validator saw no payment in flight, but one may have begun while the key was looked up.
    if (org.state.pendingPayment && !inFlight()) refuse('payment_in_flight', 'Another payment is in progress; try again shortly.');
  }
  const running = inFlight();
  if (running) {
    // A retry while the first attempt is charging: answer with where it stands once the provider answered.
    if (running.credits !== credits) refuse(KEY_CONFLICT, KEY_CONFLICT_MESSAGE);
    await wf.condition(() => inFlight()?.status !== 'processing' || inFlight()?.paymentIntentId !== null);
    return (await org.activities.findTopUp(org.state.orgId, idempotencyKey))!;
  }
  const payment = beginPayment(org, 'top_up', credits, id);
  payment.idempotencyKey = idempotencyKey;
  recordTopUp(org, payment);
  await chargeAndSettle(org, payment);
  return (await org.activities.findTopUp(org.state.orgId, idempotencyKey))!;
}

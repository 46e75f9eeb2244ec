// Refunds and disputes of the organization's payments. Our own refund (the refundPayment update)
// is decided against the payment as PostgreSQL holds it, made at the provider under a key fixed
// before the call, then committed; the provider's reports (refunds made in its dashboard, disputes)
// arrive as applyPaymentChanges. Either way the commit applies each refund and dispute change
// once, by its id, and never takes back more credits than the payment added (store/payments.ts).
import * as wf from '@temporalio/workflow';
import { DISABLED_AFTER_DISPUTE_MESSAGE } from '../../domain/autoRecharge';
import { formatCents, formatCredits, refundableCredits, refundCentsFor, refundRefusal, type AppliedPaymentChange, type PaymentChange } from '../../domain/paymentRecords';
import { REFUND_REFUSED } from '../../payments/provider';
import type { PaymentRefund, RefundPaymentRequest } from '../messages';
import { commit, emit, refuse, type Org } from './context';


/** Our refunds run one at a time, so each is decided against the one before it. */
function inRefundTurn<T>(org: Org, work: () => Promise<T>): Promise<T> {
  const next = org.refundTurn.then(work);
  org.refundTurn = next.catch(() => undefined);
  return next;
}

/** An operator's refund of `credits` (default: every credit left) of one payment. */
export function refundPayment(org: Org, { paymentId, credits }: RefundPaymentRequest): Promise<PaymentRefund> {
  return inRefundTurn(org, async () => {
    const { orgId } = org.state;
    const payment = await org.activities.readPayment(orgId, paymentId);
    if (!payment) return refuse('payment_not_found', 'Payment not found.');
    const refusal = refundRefusal(payment, credits);
    if (refusal) refuse(refusal.code, refusal.message);
    const asked = credits ?? refundableCredits(payment);
    const amountCents = refundCentsFor(payment, asked);
    // Fixed by what PostgreSQL held when the refund was decided: a retried activity asks for the same refund.
    const idempotencyKey = `${paymentId}-refund-${payment.refundCount + 1}`;
    let refund;
    try {
      refund = await org.activities.refundPayment({ orgId, paymentId, paymentIntentId: payment.paymentIntentId!, amountCents, credits: asked, idempotencyKey });
    } catch (err) {
      const cause = err instanceof wf.ActivityFailure ? err.cause : undefined;
      if (cause instanceof wf.ApplicationFailure && cause.type === REFUND_REFUSED) refuse('refund_refused', `The payment provider refused the refund: ${cause.message}`);
      throw err;
    }
    const applied = await applyPaymentChanges(org, [{ type: 'refund', paymentId, refundId: refund.refundId, amountCents: refund.amountCents, credits: asked }]);
    const own = applied.find((a) => a.ref === refund.refundId);
    return { id: refund.refundId, paymentId, credits: own ? -own.credits : asked, amountCents: refund.amountCents };
  });
}

/**
 * Applies refunds and dispute changes (each once, whatever the order or repetition of their
 * reports), then says what happened: payment.refunded, payment.disputed, and auto-recharge off
 * when a dispute opened (it stays off until the Owner turns it on again, whatever the outcome).
 */
export async function applyPaymentChanges(org: Org, changes: PaymentChange[]): Promise<AppliedPaymentChange[]> {
  org.pending.paymentChanges.push(...changes);
  const mine = (a: AppliedPaymentChange) => changes.some((c) => (c.type === 'refund' ? c.refundId : c.disputeId) === a.ref);
  const applied = (await commit(org)).applied.filter(mine);
  for (const a of applied) noteApplied(org, a);
  if (applied.length > 0) {
    org.balanceCheckDue = true; // the balance moved
    await commit(org);
  }
  return applied;
}

function noteApplied(org: Org, a: AppliedPaymentChange): void {
  const data = { paymentId: a.paymentId, credits: a.credits, amountCents: a.amountCents };
  switch (a.kind) {
    case 'refund':
      emit(org, 'payment.refunded', `Refunded ${formatCents(a.amountCents)}: ${formatCredits(-a.credits)} credits were taken back.`, { ...data, refundId: a.ref }, `payment.refunded:${a.ref}`);
      return;
    case 'dispute':
      emit(org, 'payment.disputed', `A payment was disputed: ${formatCredits(-a.credits)} credits were taken back until it is resolved.`, { ...data, disputeId: a.ref, status: 'open' }, `payment.disputed:${a.ref}`);
      if (org.state.autoRecharge.enabled) {
        org.state.autoRecharge = { ...org.state.autoRecharge, enabled: false };
        org.state.counters = { ...org.state.counters, disabledReason: DISABLED_AFTER_DISPUTE_MESSAGE };
        emit(org, 'auto_recharge.disabled', DISABLED_AFTER_DISPUTE_MESSAGE, { paymentId: a.paymentId, disputeId: a.ref });
      }
      return;
    case 'dispute_reversal':
      emit(org, 'payment.disputed', `The dispute was won: ${formatCredits(a.credits)} credits were given back.`, { ...data, disputeId: a.ref, status: 'won' }, `payment.disputed:${a.ref}:won`);
      return;
    case 'dispute_lost':
      emit(org, 'payment.disputed', 'The dispute was lost: the credits it took stay taken.', { ...data, disputeId: a.ref, status: 'lost' }, `payment.disputed:${a.ref}:lost`);
      return;
  }
}

// Manual top-ups (the topUp update): one charge per Idempotency-Key. The key names the payment, so
// a retry of it gets the same top-up, never a second charge, and even the provider sees one charge
// per key.
import * as wf from '@temporalio/workflow';
import type { TopUp } from '../../domain/payments';
import { refuse, type Org } from './context';
import { beginPayment, chargeAndSettle, recordTopUp } from './payments';

const KEY_CONFLICT = 'idempotency_key_conflict';
const KEY_CONFLICT_MESSAGE = 'This Idempotency-Key was used for a different top-up.';

const refusePaymentInFlight = () => refuse('payment_in_flight', 'Another payment is in progress; try again shortly.');

export const topUpPaymentId = (org: Org, idempotencyKey: string) => `pay_${org.state.paymentIdPrefix}_topup_${idempotencyKey}`;

/** The payment in flight for this key: begun by this chain, or by an earlier one a seeded run took over (another prefix). */
function pendingTopUpFor(org: Org, idempotencyKey: string) {
  const payment = org.state.pendingPayment;
  return payment?.kind === 'top_up' && payment.idempotencyKey === idempotencyKey ? payment : null;
}

/** The update's validator: a refused top-up leaves no trace in the history. */
export function validateTopUp(org: Org, idempotencyKey: string): void {
  const { state } = org;
  if (pendingTopUpFor(org, idempotencyKey)) return; // a retry of the one in flight
  if (!state.paymentMethodId) refuse('payment_method_required', 'A payment method is required to top up credits.');
  if (state.pendingPayment) refusePaymentInFlight();
}

/** A manual top-up; retries of its Idempotency-Key get the same top-up, never a second charge. */
export async function topUp(org: Org, idempotencyKey: string, credits: number): Promise<TopUp> {
  const begunBefore = pendingTopUpFor(org, idempotencyKey);
  const id = begunBefore && begunBefore.id !== topUpPaymentId(org, idempotencyKey) && wf.patched('resume-seeded-payment') ? begunBefore.id : topUpPaymentId(org, idempotencyKey);
  const inFlight = () => (org.state.pendingPayment?.id === id ? org.state.pendingPayment : null);
  if (!inFlight()) {
    const known = await org.activities.findTopUp(org.state.orgId, idempotencyKey);
    if (known) return known.credits === credits ? known : refuse(KEY_CONFLICT, KEY_CONFLICT_MESSAGE);
    // The validator saw no payment in flight, but one may have begun while the key was looked up.
    if (org.state.pendingPayment && !inFlight()) refusePaymentInFlight();
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

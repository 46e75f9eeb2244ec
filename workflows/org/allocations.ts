// Agency allocations: each month the agency's card buys minutes for a sub-account. The outcome is
// queued as a sub-account credit (subAccountCredits.ts), written on the sub-account's side.
import * as wf from '@temporalio/workflow';
import { allocationCredits, allocationIsOff, type AllocationRequest } from '../../domain/allocation';
import type { Situation } from '../../domain/nextAction';
import { addMonths } from '../../domain/period';
import { commit, emit, nowIso, refuse, type Org } from './context';
import { beginPayment, chargeAndSettle, nextPaymentId } from './payments';
import { queueSubAccountCredit } from './subAccountCredits';

export function validateAllocation(org: Org, minutes: AllocationRequest): void {
  if (!allocationIsOff(minutes) && !minutes.paymentMethodId && !org.state.paymentMethodId) refuse('payment_method_required', 'A payment method is required for auto allocation.');
}

/** A new allocation runs at once; changing an existing one keeps its monthly date. Zero minutes turn it off. */
export function configureAllocation(org: Org, subAccountId: string, minutes: AllocationRequest): { nextRunAt: string | null } {
  const { allocations } = org.state;
  if (allocationIsOff(minutes)) {
    delete allocations[subAccountId];
    return { nextRunAt: null };
  }
  const existing = allocations[subAccountId];
  const allocation = existing ? { ...existing, ...minutes } : { ...minutes, anchor: nowIso(), runs: 0, nextRunAt: nowIso() };
  // Saved without a card of its own, it follows the default card again.
  if (!minutes.paymentMethodId) delete allocation.paymentMethodId;
  allocations[subAccountId] = allocation;
  return { nextRunAt: allocation.nextRunAt };
}

/** The cards allocations name, by sub-account. */
export function allocationCards(org: Org): Record<string, string> {
  return Object.fromEntries(Object.entries(org.state.allocations).flatMap(([subAccountId, a]) => (a.paymentMethodId ? [[subAccountId, a.paymentMethodId]] : [])));
}

/** When each allocation runs next, as the list of due actions sees it. */
export function allocationsDue(org: Org): Situation['allocationsDue'] {
  return Object.entries(org.state.allocations).map(([subAccountId, a]) => ({ subAccountId, nextRunAt: Date.parse(a.nextRunAt) }));
}

export async function runAllocation(org: Org, subAccountId: string): Promise<void> {
  // The rates of this moment, not of when the allocation was set.
  const current = await org.activities.loadBillingRules();
  const allocation = org.state.allocations[subAccountId];
  // Meanwhile a top-up may have started, or the allocation changed: the loop comes back.
  if (!allocation || org.state.pendingPayment !== null || Date.now() < Date.parse(allocation.nextRunAt)) return;
  allocation.nextRunAt = new Date(addMonths(Date.parse(allocation.anchor), ++allocation.runs)).toISOString();
  const credits = allocationCredits(allocation, current.allocationRates);
  const paymentId = nextPaymentId(org);
  // An allocation may name a card of its own (runs recorded before it never do).
  const card = allocation.paymentMethodId && wf.patched('allocation-card') ? allocation.paymentMethodId : org.state.paymentMethodId;
  if (!card) {
    emit(org, 'allocation.failed', 'Allocation skipped: the agency has no payment method.', { paymentId, credits, subAccountId });
    queueSubAccountCredit(org, { id: paymentId, credits, subAccountId }, 'failed', 'Your agency has no payment method for its allocation.');
    return void (await commit(org));
  }
  const payment = beginPayment(org, 'allocation', credits, paymentId, current.creditPricePer1000Cents, card);
  payment.subAccountId = subAccountId;
  await chargeAndSettle(org, payment);
}

// Sub-account credits: an allocation's outcome (its credits, or why there are none) written on the
// sub-account's side. Queued in the carried state when the allocation settles or is skipped, then
// written by the loop one by one, so a new run writes what an earlier one queued.
import type { PendingPayment } from '../../domain/payments';
import { nowIso, type Org } from './context';

export function queueSubAccountCredit(
  org: Org,
  payment: Pick<PendingPayment, 'id' | 'credits' | 'subAccountId'>,
  outcome: 'succeeded' | 'failed',
  message: string,
  expiry: { expiresAt?: string } = {},
): void {
  org.state.subAccountCredits.push({
    subAccountId: payment.subAccountId!,
    agencyId: org.state.orgId,
    paymentId: payment.id,
    credits: payment.credits,
    outcome,
    message,
    at: nowIso(),
    ...expiry,
  });
}

/** Writes the oldest queued sub-account credit (each write is idempotent); the loop comes back for the rest. */
export async function creditSubAccounts(org: Org): Promise<void> {
  const { state, activities } = org;
  const credit = state.subAccountCredits[0];
  if (credit) {
    await activities.creditSubAccount(credit);
    state.subAccountCredits.shift();
  }
}

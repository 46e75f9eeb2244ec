// What a run of the previous design carries into the present workflow: its decisions, plus the
// work it had not written yet (allocation notices, usage that arrived during the hand-over).
import type { SubAccountCredit } from '../../domain/orgBilling';
import type { AllocationNotice, OrgState, PricedUsageEvent } from '../../domain/state';
import type { OrgWorkflowState } from '../org/state';

export function orgWorkflowStateFrom(old: OrgState, lateUsage: PricedUsageEvent[], lateNotices: AllocationNotice[]): OrgWorkflowState {
  const at = new Date().toISOString();
  const credit = (subAccountId: string, notice: AllocationNotice): SubAccountCredit => ({ subAccountId, ...notice, at });
  const payment = old.pendingPayment;
  // A top-up in flight keeps the Idempotency-Key that names it.
  const idempotencyKey = payment?.kind === 'top_up' ? old.topUps.find((t) => t.id === payment.id)?.idempotencyKey : undefined;
  return {
    orgId: old.orgId,
    paymentIdPrefix: old.paymentIdPrefix,
    periodAnchor: old.periodAnchor,
    subscription: old.subscription,
    paymentMethodId: old.paymentMethodId,
    autoRecharge: old.autoRecharge,
    counters: old.counters,
    pendingPayment: payment && (idempotencyKey ? { ...payment, idempotencyKey } : payment),
    allocations: old.allocations,
    subAccountCredits: [...old.allocationNotices.map(({ subAccountId, notice }) => credit(subAccountId, notice)), ...lateNotices.map((notice) => credit(old.orgId, notice))],
    lateUsage,
    seq: { payment: old.seq.payment, ledger: old.seq.ledger, commit: 0 },
  };
}

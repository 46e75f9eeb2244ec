// What an organization's workflow carries across continue-as-new: its decisions only. Pools,
// agents, usage and top-ups live in PostgreSQL, so nothing here grows with usage or agents.
// (What a run holds besides, and drops at continue-as-new, is in context.ts.)
import type { OrgBillingRecord, SubAccountCredit } from '../../domain/orgBilling';
import type { Allocation } from '../../domain/allocation';

export interface OrgWorkflowState extends OrgBillingRecord {
  orgId: string;
  /** Makes payment ids unique to this workflow chain (its first run id), so a re-created org never reuses a key. */
  paymentIdPrefix: string;
  /** The period end the billing system last set: later periods end on its day of the month. */
  periodAnchor: string | null;
  /** Agency side: monthly allocations by sub-account id. */
  allocations: Record<string, Allocation>;
  /** Sub-account credits not yet written on their sub-account's side (bounded by the sub-accounts). */
  subAccountCredits: SubAccountCredit[];
  /** The period end for which auto_recharge.cap_forecast was sent (once per period). */
  capForecastFor?: string | null;
  /** Monotonic counters that make payment ids, ledger refs and commit versions deterministic. */
  seq: { payment: number; ledger: number; commit: number };
}

export function initialOrgWorkflowState(orgId: string, paymentIdPrefix: string, record: OrgBillingRecord): OrgWorkflowState {
  return {
    ...record,
    orgId,
    paymentIdPrefix,
    periodAnchor: null,
    allocations: {},
    subAccountCredits: [],
    seq: { payment: 0, ledger: 0, commit: 0 },
  };
}

// What PostgreSQL holds of an organization's decisions, for a workflow run that starts without a
// carried state (a new organization, or one whose earlier run was terminated or reset).
import type { Pool } from 'pg';
import type { OrgBillingRecord } from '../domain/orgBilling';

export interface StoredBilling {
  record: OrgBillingRecord;
  /** The last commit version: the new run's commits must come after it. */
  version: number;
  /** The highest sequence number of the refs `renewal-N` and `plan-change-N` in the ledger. */
  lastLedgerSeq: number;
}

export async function loadStoredBilling(db: Pool, orgId: string): Promise<StoredBilling | null> {
  const { rows } = await db.query<{
    version: number;
    subscription: OrgBillingRecord['subscription'];
    payment_method_id: string | null;
    auto_recharge: OrgBillingRecord['autoRecharge'];
    counters: OrgBillingRecord['counters'];
    pending_payment: OrgBillingRecord['pendingPayment'];
    last_ledger_seq: number | null;
  }>(
    `SELECT r.version, r.subscription, r.payment_method_id, r.auto_recharge, r.counters, r.pending_payment,
       (SELECT max(substring(l.ref FROM '-([0-9]{1,15})$')::bigint) FROM ledger_entries l
        WHERE l.org_id = r.org_id AND l.kind IN ('plan_renewal', 'adjustment')) AS last_ledger_seq
     FROM org_billing r WHERE r.org_id = $1`,
    [orgId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    record: {
      subscription: row.subscription,
      paymentMethodId: row.payment_method_id,
      autoRecharge: row.auto_recharge,
      counters: row.counters,
      pendingPayment: row.pending_payment,
    },
    version: row.version,
    lastLedgerSeq: row.last_ledger_seq ?? 0,
  };
}

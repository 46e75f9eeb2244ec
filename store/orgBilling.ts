// What the organization's workflow owns, as of its last commit (org_billing): created with the
// organization (orgs.ts), then written by the workflow's commits alone (commitBilling.ts, under a
// version that only grows); read by the API and by a workflow run that starts without a carried
// state (a new organization, or one whose earlier run was terminated or reset).
import type { CardView } from '../domain/cards';
import type { Pool, PoolClient } from 'pg';
import type { OrgBillingRecord } from '../domain/orgBilling';
import { billingSummary, SUMMARY_AGENTS, type BillingSummary } from '../domain/summary';
import { readTopAgents } from './agents';
import { NEXT_EXPIRY } from './grants';

interface RecordRow {
  subscription: OrgBillingRecord['subscription'];
  payment_method_id: string | null;
  auto_recharge: OrgBillingRecord['autoRecharge'];
  counters: OrgBillingRecord['counters'];
  pending_payment: OrgBillingRecord['pendingPayment'];
}

const toRecord = (row: RecordRow): OrgBillingRecord => ({
  subscription: row.subscription,
  paymentMethodId: row.payment_method_id,
  autoRecharge: row.auto_recharge,
  counters: row.counters,
  pendingPayment: row.pending_payment,
});

/** The record's columns after org_id and version, in their order. */
const recordValues = (record: OrgBillingRecord) => [
  JSON.stringify(record.subscription),
  record.paymentMethodId,
  JSON.stringify(record.autoRecharge),
  JSON.stringify(record.counters),
  JSON.stringify(record.pendingPayment),
];

/** The record of a new organization, at version 0 (orgs.ts creates it with the organization). */
export async function insertOrgBilling(tx: PoolClient, orgId: string, record: OrgBillingRecord): Promise<void> {
  await tx.query(
    `INSERT INTO org_billing (org_id, version, subscription, payment_method_id, auto_recharge, counters, pending_payment)
     VALUES ($1, 0, $2, $3, $4, $5, $6) ON CONFLICT (org_id) DO NOTHING`,
    [orgId, ...recordValues(record)],
  );
}

/** Stores the record as of `version`; false when a commit at or above it is stored already (a retry). */
export async function claimOrgBilling(tx: PoolClient, orgId: string, version: number, record: OrgBillingRecord): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE org_billing SET version = $2, subscription = $3, payment_method_id = $4, auto_recharge = $5, counters = $6,
       pending_payment = $7, updated_at = now()
     WHERE org_id = $1 AND version < $2`,
    [orgId, version, ...recordValues(record)],
  );
  return rowCount !== 0;
}

export interface StoredBilling {
  record: OrgBillingRecord;
  /** The last commit version: the new run's commits must come after it. */
  version: number;
  /** The highest sequence number of the refs `renewal-N` and `plan-change-N` in the ledger. */
  lastLedgerSeq: number;
}

export async function loadStoredBilling(db: Pool, orgId: string): Promise<StoredBilling | null> {
  const { rows } = await db.query<RecordRow & { version: number; last_ledger_seq: number | null }>(
    `SELECT r.version, r.subscription, r.payment_method_id, r.auto_recharge, r.counters, r.pending_payment,
       (SELECT max(substring(l.ref FROM '-([0-9]{1,15})$')::bigint) FROM ledger_postings l
        WHERE l.org_id = r.org_id AND l.kind IN ('plan_renewal', 'adjustment')) AS last_ledger_seq
     FROM org_billing r WHERE r.org_id = $1`,
    [orgId],
  );
  const row = rows[0];
  if (!row) return null;
  return { record: toRecord(row), version: row.version, lastLedgerSeq: row.last_ledger_seq ?? 0 };
}

/** The billing summary for the API: the record, the pools and the agents with the most spend, from PostgreSQL alone. */
export async function readBillingSummary(db: Pool, orgId: string, pricePer1000CreditsCents: number): Promise<BillingSummary | undefined> {
  const [records, { agents, agentCount }] = await Promise.all([
    db.query<RecordRow & { plan_remaining: number; grant_credits: number; wallet: number; next_expiry: { credits: number; at: string } | null; card: Omit<CardView, 'id'> | null }>(
      `SELECT b.plan_remaining, b.grant_credits, b.wallet, ${NEXT_EXPIRY} AS next_expiry, r.subscription, r.payment_method_id, r.auto_recharge, r.counters, r.pending_payment,
         (SELECT json_build_object('brand', pm.brand, 'last4', pm.last4, 'expMonth', pm.exp_month, 'expYear', pm.exp_year)
          FROM payment_methods pm WHERE pm.org_id = r.org_id AND pm.id = r.payment_method_id) AS card
       FROM balances b JOIN org_billing r USING (org_id) WHERE b.org_id = $1`,
      [orgId],
    ),
    readTopAgents(db, orgId, SUMMARY_AGENTS),
  ]);
  const row = records.rows[0];
  if (!row) return undefined;
  return billingSummary({ orgId, pools: { planRemaining: row.plan_remaining, grants: row.grant_credits, wallet: row.wallet }, nextExpiry: row.next_expiry, ...toRecord(row), agents, agentCount, card: row.card }, pricePer1000CreditsCents);
}

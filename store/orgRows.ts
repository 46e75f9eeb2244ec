// An organization's rows: created together, so every organization has its balance and billing record.
import type { Pool } from 'pg';
import { initialOrgBilling, type OrgBillingRecord } from '../domain/orgBilling';
import { inTransaction } from './transaction';

export interface OrgRow {
  id: string;
  name: string;
  parent_id: string | null;
  created_at: Date;
}

/** Undefined when the id is taken. */
export async function createOrgRows(db: Pool, org: { id: string; name: string; parentId: string | null }): Promise<OrgRow | undefined> {
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<OrgRow>(
      `INSERT INTO orgs (id, name, parent_id) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO NOTHING RETURNING id, name, parent_id, created_at`,
      [org.id, org.name, org.parentId],
    );
    if (!rows[0]) return undefined;
    const record = initialOrgBilling();
    await tx.query('INSERT INTO balances (org_id) VALUES ($1)', [org.id]);
    await insertOrgBilling(tx, org.id, record);
    return rows[0];
  });
}

async function insertOrgBilling(tx: { query: Pool['query'] }, orgId: string, record: OrgBillingRecord): Promise<void> {
  await tx.query(
    `INSERT INTO org_billing (org_id, version, subscription, payment_method_id, auto_recharge, counters, pending_payment)
     VALUES ($1, 0, $2, $3, $4, $5, $6) ON CONFLICT (org_id) DO NOTHING`,
    [orgId, JSON.stringify(record.subscription), record.paymentMethodId, JSON.stringify(record.autoRecharge), JSON.stringify(record.counters), JSON.stringify(record.pendingPayment)],
  );
}

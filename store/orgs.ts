// Organizations (orgs): their rows, the ops listing and an agency's sub-accounts. An organization
// is created here with its balance and billing record, in one transaction (createOrgRows), so
// every organization has all three.
import type { Pool, PoolClient } from 'pg';
import type { AutoRechargeState, PaymentStatus } from '../domain/opsStatus';
import { DISABLED_AFTER_DISPUTE_MESSAGE } from '../domain/autoRecharge';
import { initialOrgBilling } from '../domain/orgBilling';
import { insertBalance } from './balances';
import { insertOrgBilling } from './orgBilling';
import { inTransaction } from './transaction';

export interface OrgRecord {
  id: string;
  name: string;
  parentId: string | null;
  createdAt: string;
}

interface OrgRow {
  id: string;
  name: string;
  parent_id: string | null;
  created_at: Date;
}

const COLUMNS = 'id, name, parent_id, created_at';

const toRecord = (row: OrgRow): OrgRecord => ({
  id: row.id,
  name: row.name,
  parentId: row.parent_id,
  createdAt: row.created_at.toISOString(),
});

export async function findOrg(db: Pool | PoolClient, id: string): Promise<OrgRecord | undefined> {
  const { rows } = await db.query<OrgRow>(`SELECT ${COLUMNS} FROM orgs WHERE id = $1`, [id]);
  return rows[0] && toRecord(rows[0]);
}

/** Undefined when the id is taken. */
export async function createOrgRows(db: Pool, org: { id: string; name: string; parentId: string | null }): Promise<OrgRecord | undefined> {
  return inTransaction(db, async (tx) => {
    const { rows } = await tx.query<OrgRow>(
      `INSERT INTO orgs (id, name, parent_id) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
      [org.id, org.name, org.parentId],
    );
    if (!rows[0]) return undefined;
    const record = initialOrgBilling();
    await insertBalance(tx, org.id);
    await insertOrgBilling(tx, org.id, record);
    return toRecord(rows[0]);
  });
}

export interface SubAccount {
  id: string;
  name: string;
  availableCredits: number;
}

/** An agency's sub-accounts, by id. */
export async function listSubAccounts(db: Pool, agencyId: string): Promise<SubAccount[]> {
  // A sub-account still held by a workflow of the previous design shows its ledger sum (the same balance).
  const { rows } = await db.query<{ id: string; name: string; available_credits: number }>(
    `SELECT o.id, o.name,
       COALESCE(available_credits(b), (SELECT SUM(l.credits) FROM ledger_entries l WHERE l.org_id = o.id), 0)::bigint AS available_credits
     FROM orgs o LEFT JOIN balances b ON b.org_id = o.id
     WHERE o.parent_id = $1 ORDER BY o.id`,
    [agencyId],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, availableCredits: r.available_credits }));
}

// The ops listing: organizations by auto-recharge state, payment status and agency, from
// PostgreSQL (the same values as their workflows' search attributes, domain/opsStatus.ts).
export interface OrgListFilter {
  autoRecharge?: AutoRechargeState;
  paymentStatus?: PaymentStatus;
  parentId?: string;
  limit: number;
  /** The last id of the previous page. */
  cursor?: string;
}

export interface ListedOrg extends OrgRecord {
  autoRecharge: AutoRechargeState;
  paymentStatus: PaymentStatus;
}

// domain/opsStatus.ts autoRechargeState and paymentStatus, over org_billing's JSON.
const STATES = `
  SELECT o.id, o.name, o.parent_id, o.created_at,
    CASE
      WHEN NOT (r.auto_recharge->>'enabled')::boolean THEN
        CASE WHEN r.counters->>'disabledReason' = $7 THEN 'disabled_after_dispute'
             WHEN r.counters->>'disabledReason' IS NOT NULL THEN 'disabled_after_failures' ELSE 'off' END
      WHEN (r.counters->>'rechargesUsedThisMonth')::int >= (r.auto_recharge->>'maxRechargesPerMonth')::int THEN 'capped'
      WHEN (r.counters->>'nextAttemptAt') IS NOT NULL AND (r.counters->>'nextAttemptAt')::bigint > $5::bigint THEN 'backoff'
      ELSE 'on'
    END AS auto_recharge,
    COALESCE(r.pending_payment->>'status', 'none') AS payment_status
  FROM orgs o JOIN org_billing r ON r.org_id = o.id`;

export async function listOrgs(db: Pool, filter: OrgListFilter, now = Date.now()): Promise<{ orgs: ListedOrg[]; nextCursor: string | null }> {
  const { rows } = await db.query<OrgRow & { auto_recharge: AutoRechargeState; payment_status: PaymentStatus }>(
    `SELECT * FROM (${STATES}) s
     WHERE ($1::text IS NULL OR s.auto_recharge = $1) AND ($2::text IS NULL OR s.payment_status = $2)
       AND ($3::text IS NULL OR s.parent_id = $3) AND ($4::text IS NULL OR s.id > $4)
     ORDER BY s.id LIMIT $6`,
    [filter.autoRecharge ?? null, filter.paymentStatus ?? null, filter.parentId ?? null, filter.cursor ?? null, now, filter.limit + 1, DISABLED_AFTER_DISPUTE_MESSAGE],
  );
  const orgs = rows.slice(0, filter.limit).map((r) => ({ ...toRecord(r), autoRecharge: r.auto_recharge, paymentStatus: r.payment_status }));
  return { orgs, nextCursor: rows.length > filter.limit ? orgs[orgs.length - 1].id : null };
}

// The ops listing: organizations by auto-recharge state, payment status and agency, from
// PostgreSQL (the same values as their workflows' search attributes, domain/opsStatus.ts).
import type { Pool } from 'pg';
import type { AutoRechargeState, PaymentStatus } from '../domain/opsStatus';

export interface OrgListFilter {
  autoRecharge?: AutoRechargeState;
  paymentStatus?: PaymentStatus;
  parentId?: string;
  limit: number;
  /** The last id of the previous page. */
  cursor?: string;
}

export interface ListedOrg {
  id: string;
  name: string;
  parentId: string | null;
  createdAt: string;
  autoRecharge: AutoRechargeState;
  paymentStatus: PaymentStatus;
}

// domain/opsStatus.ts autoRechargeState and paymentStatus, over org_billing's JSON.
const STATES = `
  SELECT o.id, o.name, o.parent_id, o.created_at,
    CASE
      WHEN NOT (r.auto_recharge->>'enabled')::boolean THEN
        CASE WHEN r.counters->>'disabledReason' IS NOT NULL THEN 'disabled_after_failures' ELSE 'off' END
      WHEN (r.counters->>'rechargesUsedThisMonth')::int >= (r.auto_recharge->>'maxRechargesPerMonth')::int THEN 'capped'
      WHEN (r.counters->>'nextAttemptAt') IS NOT NULL AND (r.counters->>'nextAttemptAt')::bigint > $5::bigint THEN 'backoff'
      ELSE 'on'
    END AS auto_recharge,
    COALESCE(r.pending_payment->>'status', 'none') AS payment_status
  FROM orgs o JOIN org_billing r ON r.org_id = o.id`;

export async function listOrgs(db: Pool, filter: OrgListFilter, now = Date.now()): Promise<{ orgs: ListedOrg[]; nextCursor: string | null }> {
  const { rows } = await db.query<{ id: string; name: string; parent_id: string | null; created_at: Date; auto_recharge: AutoRechargeState; payment_status: PaymentStatus }>(
    `SELECT * FROM (${STATES}) s
     WHERE ($1::text IS NULL OR s.auto_recharge = $1) AND ($2::text IS NULL OR s.payment_status = $2)
       AND ($3::text IS NULL OR s.parent_id = $3) AND ($4::text IS NULL OR s.id > $4)
     ORDER BY s.id LIMIT $6`,
    [filter.autoRecharge ?? null, filter.paymentStatus ?? null, filter.parentId ?? null, filter.cursor ?? null, now, filter.limit + 1],
  );
  const orgs = rows.slice(0, filter.limit).map((r) => ({
    id: r.id,
    name: r.name,
    parentId: r.parent_id,
    createdAt: r.created_at.toISOString(),
    autoRecharge: r.auto_recharge,
    paymentStatus: r.payment_status,
  }));
  return { orgs, nextCursor: rows.length > filter.limit ? orgs[orgs.length - 1].id : null };
}

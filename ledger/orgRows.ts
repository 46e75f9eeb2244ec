// An organization's rows: created together, so every organization has its balance and billing record.
import type { Pool } from 'pg';
import { balanceSettingsOf, initialOrgBilling, type OrgBillingRecord } from '../domain/orgBilling';
import type { Pools } from '../domain/pools';
import { hasOwnSettings, type AgentState } from '../domain/agents';
import type { TopUp } from '../domain/state';
import { inTransaction } from './transaction';
import { upsertTopUps } from './topUps';

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

/** What a workflow of the previous design held, written once when it hands over to PostgreSQL. */
export interface HandedOverState {
  orgId: string;
  record: OrgBillingRecord;
  pools: Pools;
  period: number;
  belowThreshold: boolean;
  lastEventSeq: number;
  agents: Record<string, AgentState>;
  topUps: TopUp[];
}

/** Idempotent: an organization that has its balance row keeps it (it was handed over before). */
export async function handOverToPostgres(db: Pool, state: HandedOverState): Promise<void> {
  await inTransaction(db, async (tx) => {
    const settings = balanceSettingsOf(state.record);
    const { rows: seqRows } = await tx.query<{ seq: number | null }>('SELECT max(seq)::bigint AS seq FROM events WHERE org_id = $1', [state.orgId]);
    const inserted = await tx.query(
      `INSERT INTO balances (org_id, plan_remaining, top_up, period, threshold_credits, auto_recharge_enabled, subscription_active, low_notified, event_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (org_id) DO NOTHING`,
      [
        state.orgId,
        state.pools.planRemaining,
        state.pools.topUp,
        state.period,
        settings.thresholdCredits,
        settings.autoRechargeEnabled,
        settings.subscriptionActive,
        state.belowThreshold,
        Math.max(state.lastEventSeq, seqRows[0]?.seq ?? 0),
      ],
    );
    if (inserted.rowCount === 0) return;
    await insertOrgBilling(tx, state.orgId, state.record);
    const agents = Object.entries(state.agents);
    const own = agents.filter(([, a]) => hasOwnSettings(a));
    await tx.query(
      `INSERT INTO agent_settings (org_id, agent_id, monthly_limit_credits, when_plan_exhausted)
       SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[]) ON CONFLICT DO NOTHING`,
      [state.orgId, own.map(([id]) => id), own.map(([, a]) => a.monthlyLimitCredits), own.map(([, a]) => a.whenPlanExhausted)],
    );
    const spent = agents.filter(([, a]) => a.spentThisMonth !== 0);
    await tx.query(
      `INSERT INTO agent_spend (org_id, period, agent_id, spent)
       SELECT $1, $2, * FROM unnest($3::text[], $4::bigint[]) ON CONFLICT DO NOTHING`,
      [state.orgId, state.period, spent.map(([id]) => id), spent.map(([, a]) => a.spentThisMonth)],
    );
    await upsertTopUps(tx, state.orgId, state.topUps);
  });
}

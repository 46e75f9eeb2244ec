// Reads for the API: the billing summary and the allowance check, from PostgreSQL alone.
import type { Pool } from 'pg';
import { allowance, NEW_AGENT, type AgentState, type Allowance, type WhenPlanExhausted } from '../domain/agents';
import type { OrgBillingRecord } from '../domain/orgBilling';
import { billingSummary, type BillingSummary } from '../domain/summary';

interface RecordRow {
  plan_remaining: number;
  top_up: number;
  subscription: OrgBillingRecord['subscription'];
  payment_method_id: string | null;
  auto_recharge: OrgBillingRecord['autoRecharge'];
  counters: OrgBillingRecord['counters'];
  pending_payment: OrgBillingRecord['pendingPayment'];
}

interface AgentRow {
  agent_id: string;
  spent: number | null;
  monthly_limit_credits: number | null;
  when_plan_exhausted: WhenPlanExhausted | null;
}

const toAgent = (row: Omit<AgentRow, 'agent_id'>): AgentState => ({
  spentThisMonth: row.spent ?? 0,
  monthlyLimitCredits: row.monthly_limit_credits,
  whenPlanExhausted: row.when_plan_exhausted ?? NEW_AGENT.whenPlanExhausted,
});

/** Agents that spent this period or have settings of their own. */
async function readAgents(db: Pool, orgId: string): Promise<Record<string, AgentState>> {
  const { rows } = await db.query<AgentRow>(
    `WITH spend AS (
       SELECT agent_id, spent FROM agent_spend WHERE org_id = $1 AND period = (SELECT period FROM balances WHERE org_id = $1)
     ), settings AS (
       SELECT agent_id, monthly_limit_credits, when_plan_exhausted FROM agent_settings WHERE org_id = $1
     )
     SELECT agent_id, spent, monthly_limit_credits, when_plan_exhausted FROM spend FULL JOIN settings USING (agent_id)`,
    [orgId],
  );
  return Object.fromEntries(rows.map((row) => [row.agent_id, toAgent(row)]));
}

export async function readBillingSummary(db: Pool, orgId: string, pricePer1000CreditsCents: number): Promise<BillingSummary | undefined> {
  const [records, agents] = await Promise.all([
    db.query<RecordRow>(
      `SELECT b.plan_remaining, b.top_up, r.subscription, r.payment_method_id, r.auto_recharge, r.counters, r.pending_payment
       FROM balances b JOIN org_billing r USING (org_id) WHERE b.org_id = $1`,
      [orgId],
    ),
    readAgents(db, orgId),
  ]);
  const row = records.rows[0];
  if (!row) return undefined;
  return billingSummary(
    {
      orgId,
      pools: { planRemaining: row.plan_remaining, topUp: row.top_up },
      subscription: row.subscription,
      paymentMethodId: row.payment_method_id,
      autoRecharge: row.auto_recharge,
      counters: row.counters,
      pendingPayment: row.pending_payment,
      agents,
    },
    pricePer1000CreditsCents,
  );
}

export interface AgentView extends AgentState, Allowance {
  id: string;
}

/** One indexed read: the pools, the subscription, and this agent's settings and spend this period. */
export async function readAgent(db: Pool, orgId: string, agentId: string): Promise<AgentView | undefined> {
  const { rows } = await db.query<Omit<AgentRow, 'agent_id'> & { plan_remaining: number; top_up: number; subscription_active: boolean }>(
    `SELECT b.plan_remaining, b.top_up, b.subscription_active, a.monthly_limit_credits, a.when_plan_exhausted, s.spent
     FROM balances b
     LEFT JOIN agent_settings a ON a.org_id = b.org_id AND a.agent_id = $2
     LEFT JOIN agent_spend s ON s.org_id = b.org_id AND s.period = b.period AND s.agent_id = $2
     WHERE b.org_id = $1`,
    [orgId, agentId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const agent = toAgent(row);
  return { id: agentId, ...agent, ...allowance(agent, { planRemaining: row.plan_remaining, topUp: row.top_up }, row.subscription_active) };
}

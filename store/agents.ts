// Agents (agent_settings, agent_spend): an agent's own settings, written by the API with their
// event (no workflow holds agents), and its spend per period, written by record_usage (usage.ts).
import type { Pool } from 'pg';
import { allowance, NEW_AGENT, type AgentSettings, type AgentState, type Allowance, type WhenPlanExhausted } from '../domain/agents';
import { recordEventIn } from './events';
import { inTransaction } from './transaction';

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
export async function readAgents(db: Pool, orgId: string): Promise<Record<string, AgentState>> {
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

export interface AgentView extends AgentState, Allowance {
  id: string;
}

/** The allowance check, one indexed read: the pools, the subscription, and this agent's settings and spend this period. */
export async function readAgent(db: Pool, orgId: string, agentId: string): Promise<AgentView | undefined> {
  const { rows } = await db.query<Omit<AgentRow, 'agent_id'> & { plan_remaining: number; wallet: number; subscription_active: boolean }>(
    `SELECT b.plan_remaining, b.wallet, b.subscription_active, a.monthly_limit_credits, a.when_plan_exhausted, s.spent
     FROM balances b
     LEFT JOIN agent_settings a ON a.org_id = b.org_id AND a.agent_id = $2
     LEFT JOIN agent_spend s ON s.org_id = b.org_id AND s.period = b.period AND s.agent_id = $2
     WHERE b.org_id = $1`,
    [orgId, agentId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const agent = toAgent(row);
  return { id: agentId, ...agent, ...allowance(agent, { planRemaining: row.plan_remaining, wallet: row.wallet }, row.subscription_active) };
}

export async function saveAgentSettings(db: Pool, orgId: string, agentId: string, settings: AgentSettings): Promise<void> {
  await inTransaction(db, async (tx) => {
    await tx.query(
      `INSERT INTO agent_settings (org_id, agent_id, monthly_limit_credits, when_plan_exhausted) VALUES ($1, $2, $3, $4)
       ON CONFLICT (org_id, agent_id) DO UPDATE SET monthly_limit_credits = $3, when_plan_exhausted = $4, updated_at = now()`,
      [orgId, agentId, settings.monthlyLimitCredits, settings.whenPlanExhausted],
    );
    await recordEventIn(tx, orgId, { type: 'agent.updated', at: new Date().toISOString(), message: `Agent ${agentId} settings updated.`, data: { agentId, ...settings } });
  });
}

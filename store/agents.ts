// Agents (agent_settings, agent_spend): an agent's own settings, written by the API with their
// event (no workflow holds agents), and its spend per period, written by record_usage (usage.ts)
// and lowered by a usage void (takeBackSpend).
import type { Pool, PoolClient } from 'pg';
import { allowance, NEW_AGENT, type AgentSettings, type AgentState, type Allowance, type WhenPlanExhausted } from '../domain/agents';
import type { AgentEntry } from '../domain/summary';
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

/**
 * The `limit` agents with the most spend this period (ties by id), and how many agents there are:
 * those that spent this period or have settings of their own.
 */
export async function readTopAgents(db: Pool, orgId: string, limit: number): Promise<{ agents: AgentEntry[]; agentCount: number }> {
  const { rows } = await db.query<AgentRow & { agent_count: number }>(
    `WITH spend AS (
       SELECT agent_id, spent FROM agent_spend WHERE org_id = $1 AND period = (SELECT period FROM balances WHERE org_id = $1)
     ), settings AS (
       SELECT agent_id, monthly_limit_credits, when_plan_exhausted FROM agent_settings WHERE org_id = $1
     )
     SELECT agent_id, spent, monthly_limit_credits, when_plan_exhausted, count(*) OVER ()::int AS agent_count
     FROM spend FULL JOIN settings USING (agent_id)
     ORDER BY COALESCE(spent, 0) DESC, agent_id LIMIT $2`,
    [orgId, limit],
  );
  return { agents: rows.map((row) => ({ id: row.agent_id, ...toAgent(row) })), agentCount: rows[0]?.agent_count ?? 0 };
}

export interface AgentView extends AgentState, Allowance {
  id: string;
}

type AgentViewRow = Omit<AgentRow, 'agent_id'> & { plan_remaining: number; grant_credits: number; wallet: number; subscription_active: boolean };

function toAgentView(id: string, row: AgentViewRow): AgentView {
  const agent = toAgent(row);
  return { id, ...agent, ...allowance(agent, { planRemaining: row.plan_remaining, grants: row.grant_credits, wallet: row.wallet }, row.subscription_active) };
}

/** A voided event's credits out of its agent's spend in the period it was recorded in. */
export async function takeBackSpend(tx: PoolClient, orgId: string, period: number, agentId: string, credits: number): Promise<void> {
  await tx.query('UPDATE agent_spend SET spent = spent - $4 WHERE org_id = $1 AND period = $2 AND agent_id = $3', [orgId, period, agentId, credits]);
}

/** The allowance check, one indexed read: the pools, the subscription, and this agent's settings and spend this period. */
export async function readAgent(db: Pool, orgId: string, agentId: string): Promise<AgentView | undefined> {
  // A named statement: each connection parses and plans it once, not at every allowance check.
  const { rows } = await db.query<AgentViewRow>({
    name: 'read-agent',
    text: `SELECT b.plan_remaining, b.grant_credits, b.wallet, b.subscription_active, a.monthly_limit_credits, a.when_plan_exhausted, s.spent
     FROM balances b
     LEFT JOIN agent_settings a ON a.org_id = b.org_id AND a.agent_id = $2
     LEFT JOIN agent_spend s ON s.org_id = b.org_id AND s.period = b.period AND s.agent_id = $2
     WHERE b.org_id = $1`,
    values: [orgId, agentId],
  });
  const row = rows[0];
  return row && toAgentView(agentId, row);
}

/**
 * A page of every agent, by id (a stable order: an agent is on one page however its spend
 * changes); `cursor` is the last id of the previous page. Undefined when there is no such
 * organization.
 */
export async function listAgents(db: Pool, orgId: string, limit: number, cursor: string | undefined): Promise<{ agents: AgentView[]; nextCursor: string | null } | undefined> {
  // Each table's next ids by its primary key, merged: a page reads about `limit` rows of each.
  const { rows } = await db.query<AgentViewRow & { agent_id: string | null }>(
    `WITH b AS (SELECT plan_remaining, grant_credits, wallet, subscription_active, period FROM balances WHERE org_id = $1),
     ids AS (
       (SELECT agent_id FROM agent_spend WHERE org_id = $1 AND period = (SELECT period FROM b) AND agent_id > $2 ORDER BY agent_id LIMIT $3)
       UNION
       (SELECT agent_id FROM agent_settings WHERE org_id = $1 AND agent_id > $2 ORDER BY agent_id LIMIT $3)
     ), page AS (SELECT agent_id FROM ids ORDER BY agent_id LIMIT $3)
     SELECT b.plan_remaining, b.grant_credits, b.wallet, b.subscription_active, page.agent_id, s.spent, a.monthly_limit_credits, a.when_plan_exhausted
     FROM b LEFT JOIN page ON true
     LEFT JOIN agent_settings a ON a.org_id = $1 AND a.agent_id = page.agent_id
     LEFT JOIN agent_spend s ON s.org_id = $1 AND s.period = b.period AND s.agent_id = page.agent_id
     ORDER BY page.agent_id`,
    [orgId, cursor ?? '', limit + 1],
  );
  if (!rows[0]) return undefined;
  const listed = rows.filter((row) => row.agent_id !== null);
  const agents = listed.slice(0, limit).map((row) => toAgentView(row.agent_id!, row));
  return { agents, nextCursor: listed.length > limit ? agents[agents.length - 1].id : null };
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

// An agent's own settings, written by the API with their event: no workflow holds agents.
import type { Pool } from 'pg';
import type { AgentSettings } from '../domain/agents';
import { lockBalance, writeBalance } from './balances';
import { appendEvents } from './events';
import { inTransaction } from './transaction';

export async function saveAgentSettings(db: Pool, orgId: string, agentId: string, settings: AgentSettings): Promise<void> {
  await inTransaction(db, async (tx) => {
    const balance = await lockBalance(tx, orgId);
    if (!balance) throw new Error(`organization ${orgId} has no balance row`);
    await tx.query(
      `INSERT INTO agent_settings (org_id, agent_id, monthly_limit_credits, when_plan_exhausted) VALUES ($1, $2, $3, $4)
       ON CONFLICT (org_id, agent_id) DO UPDATE SET monthly_limit_credits = $3, when_plan_exhausted = $4, updated_at = now()`,
      [orgId, agentId, settings.monthlyLimitCredits, settings.whenPlanExhausted],
    );
    const event = { type: 'agent.updated', at: new Date().toISOString(), message: `Agent ${agentId} settings updated.`, data: { agentId, ...settings } };
    await writeBalance(tx, orgId, { ...balance, eventSeq: await appendEvents(tx, orgId, balance.eventSeq, [event]) });
  });
}

// An agent's own settings, written by the API with their event: no workflow holds agents.
import type { Pool } from 'pg';
import type { AgentSettings } from '../domain/agents';
import { recordEventIn } from './events';
import { inTransaction } from './transaction';

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

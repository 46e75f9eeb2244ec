// Usage reporting, agent settings and the allowance check.
import { Router } from 'express';
import { usageCredits } from '../../domain/pricing';
import { usageEventsAccepted } from '../../observability/metrics';
import type { PricedUsageEvent } from '../../domain/state';
import { configureAgentUpdate } from '../../workflows/messages';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { parse } from '../schemas';

export function usageRoutes({ orgs, workflows, usage, settings, schemas, db, logger, allowances }: ApiContext): Router {
  const router = Router();
  const meters = settings.priceBook.meters;

  /**
   * Events PostgreSQL already holds are answered without reaching the workflow: a late redelivery
   * must not debit (and maybe trigger a charge) before the ledger reports it. Best effort: with
   * PostgreSQL down the workflow's window and the ledger still apply each id once.
   */
  async function withoutRecorded(orgId: string, events: PricedUsageEvent[]): Promise<PricedUsageEvent[]> {
    try {
      const { rows } = await db.query<{ id: string }>('SELECT id FROM usage_events WHERE org_id = $1 AND id = ANY($2::text[])', [orgId, events.map((e) => e.id)]);
      if (rows.length === 0) return events;
      const recorded = new Set(rows.map((r) => r.id));
      return events.filter((e) => !recorded.has(e.id));
    } catch (err) {
      logger.warn({ err, orgId }, 'usage not checked against recorded events');
      return events;
    }
  }

  router.post('/v1/orgs/:org/usage', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.reportUsage);
    const { events } = parse(schemas.usage, req.body);
    const receivedAt = new Date().toISOString();
    const priced: PricedUsageEvent[] = events.map((e) => ({
      id: e.id,
      agentId: e.agentId,
      meter: e.meter,
      quantity: e.quantity,
      credits: usageCredits(e.quantity, meters[e.meter]),
      occurredAt: e.occurredAt ? new Date(e.occurredAt).toISOString() : receivedAt,
    }));
    const fresh = await withoutRecorded(org.id, priced);
    if (fresh.length > 0) {
      await usage.submit(org.id, fresh);
      allowances.usageAccepted(org.id, fresh);
    }
    usageEventsAccepted.inc(priced.length);
    res.status(202).json({ accepted: priced.length });
  });

  router.get('/v1/orgs/:org/agents/:agent/allowance', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readAllowance);
    const agentId = parse(schemas.id, req.params.agent);
    res.json(await allowances.allowance(org.id, agentId));
  });

  router.put('/v1/orgs/:org/agents/:agent', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageAgents);
    const agentId = parse(schemas.id, req.params.agent);
    const settingsBody = parse(schemas.agent, req.body);
    const summary = await workflows.update(org.id, configureAgentUpdate, agentId, settingsBody);
    res.json(summary.agents.find((a) => a.id === agentId));
  });

  return router;
}

// Usage reporting, agent settings and the allowance check.
import { Router } from 'express';
import { usageCredits } from '../../domain/pricing';
import { usageEventsAccepted } from '../../observability/metrics';
import type { PricedUsageEvent } from '../../domain/state';
import { allowanceQuery, configureAgentUpdate } from '../../workflows/messages';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { parse } from '../schemas';

export function usageRoutes({ orgs, workflows, usage, settings, schemas }: ApiContext): Router {
  const router = Router();
  const meters = settings.priceBook.meters;

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
    await usage.submit(org.id, priced);
    usageEventsAccepted.inc(priced.length);
    res.status(202).json({ accepted: priced.length });
  });

  router.get('/v1/orgs/:org/agents/:agent/allowance', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readAllowance);
    const agentId = parse(schemas.id, req.params.agent);
    res.json(await workflows.query(org.id, allowanceQuery, agentId));
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

// Usage reporting (one PostgreSQL transaction per request), listing and voiding, agent settings and the allowance check.
import { Router } from 'express';
import { usageCredits } from '../../domain/pricing';
import type { PricedUsageEvent } from '../../domain/usage';
import { readAgent, saveAgentSettings } from '../../store/agents';
import { recordUsage } from '../../store/usage';
import { listUsageEvents, voidUsageEvent } from '../../store/usageEvents';
import { usageEventsAccepted } from '../../observability/metrics';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { ApiError, notFound } from '../errors';
import { parse } from '../schemas';
import { usageListQuery, usageVoidBody } from '../usageSchemas';

export function usageRoutes({ orgs, settings, schemas, db, usageWrites, hotReads, crossings }: ApiContext): Router {
  const router = Router();
  const meters = settings.priceBook.meters;

  router.post('/v1/orgs/:org/usage', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.reportUsage);
    const { events } = parse(schemas.usage, req.body);
    const priced: PricedUsageEvent[] = events.map((e) => ({
      id: e.id,
      agentId: e.agentId,
      meter: e.meter,
      quantity: e.quantity,
      credits: usageCredits(e.quantity, meters[e.meter]),
      occurredAt: e.occurredAt ? new Date(e.occurredAt).toISOString() : null,
    }));
    const recorded = await recordUsage(usageWrites, org.id, priced);
    if (recorded.signalWorkflow) crossings.send(org.id, { crossedBy: recorded.crossedBy, availableCredits: recorded.availableCredits }, recorded.signalGeneration);
    usageEventsAccepted.inc(recorded.recorded);
    // An id twice in one batch is one event; an id recorded before is accepted again, and changes nothing.
    res.status(202).json({ accepted: new Set(priced.map((e) => e.id)).size });
  });

  router.get('/v1/orgs/:org/usage', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readUsageEvents);
    const { limit, cursor, ...filter } = parse(usageListQuery, req.query, 'query');
    res.json(await listUsageEvents(db, org.id, filter, limit, cursor));
  });

  router.post('/v1/orgs/:org/usage/:id/void', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.reportUsage);
    const id = parse(schemas.id, req.params.id, 'id');
    const { reason } = parse(usageVoidBody, req.body);
    const windowDays = settings.usageCorrectionWindowDays;
    const outcome = await voidUsageEvent(db, org.id, id, reason, windowDays, new Date());
    if (outcome === 'not_found') throw new ApiError(404, 'usage_event_not_found', 'Usage event not found.');
    if (outcome === 'window_closed') throw new ApiError(409, 'correction_window_closed', `Usage can be voided within ${windowDays} days of its occurredAt.`);
    res.json(outcome);
  });

  router.get('/v1/orgs/:org/agents/:agent/allowance', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readAllowance);
    const agentId = parse(schemas.id, req.params.agent, 'agent');
    const agent = await readAgent(hotReads, org.id, agentId);
    if (!agent) throw notFound();
    res.json({ allowed: agent.allowed, reason: agent.reason });
  });

  router.put('/v1/orgs/:org/agents/:agent', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageAgents);
    const agentId = parse(schemas.id, req.params.agent, 'agent');
    const agentSettings = parse(schemas.agent, req.body);
    await saveAgentSettings(db, org.id, agentId, agentSettings);
    res.json(await readAgent(db, org.id, agentId));
  });

  return router;
}

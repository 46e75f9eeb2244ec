// An agency's sub-accounts and their monthly auto allocation.
import { Router } from 'express';
import { allocationChargeCents, allocationIsOff } from '../../domain/allocation';
import { listSubAccounts } from '../../store/orgs';
import { configureAllocationUpdate } from '../../workflows/messages';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { forbidden, notFound } from '../errors';
import { cardView } from '../paymentMethods';
import { parse } from '../schemas';

export function agencyRoutes({ orgs, workflows, db, settings, schemas, cards }: ApiContext): Router {
  const router = Router();

  router.get('/v1/orgs/:org/sub-accounts', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readSubAccounts);
    res.json({ subAccounts: await listSubAccounts(db, org.id) });
  });

  router.put('/v1/orgs/:org/sub-accounts/:sub/auto-allocation', async (req, res) => {
    const { org: agency, relation } = await authorizeOrg(req, orgs, req.params.org, RULES.manageAllocations);
    if (relation !== 'self') throw forbidden('Only the agency owner can manage auto allocation.');
    const sub = await orgs.get(parse(schemas.id, req.params.sub, 'sub'));
    if (!sub || sub.parentId !== agency.id) throw notFound('Sub-account');
    const minutes = parse(schemas.allocation, req.body);
    // Its own card must be one of the agency's (another organization's card is unknown here).
    if (minutes.paymentMethodId) await cards.get(agency.id, minutes.paymentMethodId);
    const { nextRunAt } = await workflows.update(agency.id, configureAllocationUpdate, sub.id, minutes);
    const { allocationRates, creditPricePer1000Cents } = settings.rules;
    // The card the estimate will be charged to: the allocation's own, or the agency's default.
    const listed = await cards.list(agency.id);
    const card = allocationIsOff(minutes) ? undefined : listed.find((c) => (minutes.paymentMethodId ? c.id === minutes.paymentMethodId : c.isDefault));
    res.json({ estimatedMonthlyChargeCents: allocationChargeCents(minutes, allocationRates, creditPricePer1000Cents), nextRunAt, paymentMethod: card ? cardView(card) : null });
  });

  return router;
}

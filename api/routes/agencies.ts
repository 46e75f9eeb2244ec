// An agency's sub-accounts and their monthly auto allocation.
import { Router } from 'express';
import { allocationChargeCents } from '../../domain/allocation';
import { configureAllocationUpdate } from '../../workflows/messages';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { forbidden, notFound } from '../errors';
import { parse } from '../schemas';

export function agencyRoutes({ orgs, workflows, db, settings, schemas }: ApiContext): Router {
  const router = Router();

  router.get('/v1/orgs/:org/sub-accounts', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readSubAccounts);
    // A sub-account still held by a workflow of the previous design shows its ledger sum (the same balance).
    const { rows } = await db.query<{ id: string; name: string; available_credits: number }>(
      `SELECT o.id, o.name,
         COALESCE(b.plan_remaining + b.top_up, (SELECT SUM(l.credits) FROM ledger_entries l WHERE l.org_id = o.id), 0)::bigint AS available_credits
       FROM orgs o LEFT JOIN balances b ON b.org_id = o.id
       WHERE o.parent_id = $1 ORDER BY o.id`,
      [org.id],
    );
    res.json({ subAccounts: rows.map((r) => ({ id: r.id, name: r.name, availableCredits: r.available_credits })) });
  });

  router.put('/v1/orgs/:org/sub-accounts/:sub/auto-allocation', async (req, res) => {
    const { org: agency, relation } = await authorizeOrg(req, orgs, req.params.org, RULES.manageAllocations);
    if (relation !== 'self') throw forbidden('Only the agency owner can manage auto allocation.');
    const sub = await orgs.get(parse(schemas.id, req.params.sub, 'sub'));
    if (!sub || sub.parentId !== agency.id) throw notFound('Sub-account');
    const minutes = parse(schemas.allocation, req.body);
    const { nextRunAt } = await workflows.update(agency.id, configureAllocationUpdate, sub.id, minutes);
    const { allocationRates, creditPricePer1000Cents } = settings.rules;
    res.json({ estimatedMonthlyChargeCents: allocationChargeCents(minutes, allocationRates, creditPricePer1000Cents), nextRunAt });
  });

  return router;
}

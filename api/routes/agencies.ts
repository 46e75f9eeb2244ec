// An agency's sub-accounts and their monthly auto allocation (spec §7).
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
    // Balances from the ledger: every pool change is there, so this needs no workflow.
    const { rows } = await db.query<{ id: string; name: string; available_credits: number }>(
      `SELECT o.id, o.name, COALESCE(SUM(l.credits), 0)::bigint AS available_credits
       FROM orgs o LEFT JOIN ledger_entries l ON l.org_id = o.id
       WHERE o.parent_id = $1 GROUP BY o.id, o.name ORDER BY o.id`,
      [org.id],
    );
    res.json({ subAccounts: rows.map((r) => ({ id: r.id, name: r.name, availableCredits: r.available_credits })) });
  });

  router.put('/v1/orgs/:org/sub-accounts/:sub/auto-allocation', async (req, res) => {
    const { org: agency, relation } = await authorizeOrg(req, orgs, req.params.org, RULES.manageAllocations);
    if (relation !== 'self') throw forbidden('Only the agency owner can manage auto allocation.');
    const sub = await orgs.get(req.params.sub);
    if (!sub || sub.parentId !== agency.id) throw notFound('Sub-account');
    const minutes = parse(schemas.allocation, req.body);
    const { nextRunAt } = await workflows.update(agency.id, configureAllocationUpdate, sub.id, minutes);
    const { allocationRates, creditPricePer1000Cents } = settings.rules;
    res.json({ estimatedMonthlyChargeCents: allocationChargeCents(minutes, allocationRates, creditPricePer1000Cents), nextRunAt });
  });

  return router;
}

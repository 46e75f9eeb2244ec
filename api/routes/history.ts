// The ledger, the daily usage series and the events, read from PostgreSQL, newest first, with cursor pagination. Every write
// commits before its answer, so a read after a 202 or 200 reflects it.
import { Router } from 'express';
import { readDailyUsage } from '../../store/dailyUsage';
import { listEvents } from '../../store/events';
import { listLedgerEntries } from '../../store/ledger';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { parse } from '../schemas';

export function historyRoutes({ orgs, db, hotReads, schemas }: ApiContext): Router {
  const router = Router();

  router.get('/v1/orgs/:org/ledger', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const { limit, cursor } = parse(schemas.page, req.query);
    res.json(await listLedgerEntries(db, org.id, limit, cursor));
  });

  router.get('/v1/orgs/:org/events', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const { limit, cursor } = parse(schemas.page, req.query);
    res.json(await listEvents(db, org.id, limit, cursor));
  });

  /** Credits used per UTC day, plan and wallet apart, every day of the range (zero included), for charts. */
  router.get('/v1/orgs/:org/usage/daily', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const { from, to } = parse(schemas.dailyUsage, req.query, 'query');
    res.json({ days: await readDailyUsage(hotReads, org.id, from, to) });
  });

  return router;
}

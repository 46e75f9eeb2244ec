// Alert ladders: settings the API saves directly (store/alerts.ts), as agent settings are; the
// balance trigger fires them in the usage transaction and the workflow's commits.
import { Router } from 'express';
import { readAlerts, saveAlerts } from '../../store/alerts';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { parse } from '../schemas';

export function alertRoutes({ orgs, db, schemas }: ApiContext): Router {
  const router = Router();

  router.put('/v1/orgs/:org/alerts', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageAlerts);
    const { alerts } = parse(schemas.alerts, req.body);
    res.json({ alerts: await saveAlerts(db, org.id, alerts) });
  });

  router.get('/v1/orgs/:org/alerts', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    res.json({ alerts: await readAlerts(db, org.id) });
  });

  return router;
}

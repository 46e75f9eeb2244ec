// Credit grants: ops give credits with a name, a category, a priority and an optional expiry, and
// void what remains; whoever reads the billing lists them (store/grants.ts does the work).
import { Router } from 'express';
import type { CreditGrant } from '../../domain/grants';
import { createGrant, listGrants, voidGrant } from '../../store/grants';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { grantBody, grantIdSchema, grantListQuery } from '../grantSchemas';
import { parse } from '../schemas';

const grantNotFound = () => new ApiError(404, 'grant_not_found', 'Credit grant not found.');

/** A key answers with its own grant; the same key for a different grant is a mistake worth saying. */
const sameGrant = (grant: CreditGrant, body: { credits: number; name: string; category: string; priority: number; expiresAt: string | null }) =>
  grant.credits === body.credits &&
  grant.name === body.name &&
  grant.category === body.category &&
  grant.priority === body.priority &&
  (grant.expiresAt === null ? body.expiresAt === null : body.expiresAt !== null && Date.parse(grant.expiresAt) === Date.parse(body.expiresAt));

export function grantRoutes({ orgs, db, crossings }: ApiContext): Router {
  const router = Router();

  router.post('/v1/orgs/:org/credit-grants', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageGrants);
    const body = parse(grantBody, req.body);
    const { grant, created } = await createGrant(db, org.id, body, new Date().toISOString());
    if (!created && !sameGrant(grant, body)) throw new ApiError(409, 'idempotency_key_conflict', 'This idempotencyKey was used for a different grant.');
    res.status(201).json({ grant });
  });

  router.get('/v1/orgs/:org/credit-grants', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readGrants);
    const { status, limit } = parse(grantListQuery, req.query, 'query');
    res.json({ grants: await listGrants(db, org.id, status, limit) });
  });

  router.post('/v1/orgs/:org/credit-grants/:id/void', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageGrants);
    const id = parse(grantIdSchema, req.params.id, 'id');
    const outcome = await voidGrant(db, org.id, id, new Date().toISOString());
    if (outcome === 'not_found') throw grantNotFound();
    if (outcome === 'expired') throw new ApiError(409, 'grant_expired', 'This grant has expired: nothing remains to void.');
    if (outcome.crossing) crossings.send(org.id, { crossedBy: null, availableCredits: outcome.crossing.availableCredits }, outcome.crossing.generation);
    res.json({ grant: outcome.grant });
  });

  return router;
}

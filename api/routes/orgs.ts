// Creating, reading and (for operators) listing organizations.
import { Router } from 'express';
import { authorizeGlobal, authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { listOrgs } from '../../store/orgs';
import { ApiError } from '../errors';
import { parse } from '../schemas';

export function orgRoutes({ orgs, workflows, schemas, db }: ApiContext): Router {
  const router = Router();

  router.post('/v1/orgs', async (req, res) => {
    authorizeGlobal(req, 'ops', 'Only operators for every organization can create organizations.');
    const body = parse(schemas.createOrg, req.body);
    if (await orgs.get(body.id)) throw new ApiError(409, 'org_exists', 'An organization with this id already exists.');
    if (body.parentId && !(await orgs.get(body.parentId))) throw new ApiError(422, 'validation_failed', 'parentId: no such organization');
    // The rows first: a workflow never starts for an organization that does not exist. An update
    // or signal to an organization whose workflow did not start (a failure here) starts it.
    const org = await orgs.create({ id: body.id, name: body.name, parentId: body.parentId ?? null });
    if (!org) throw new ApiError(409, 'org_exists', 'An organization with this id already exists.');
    await workflows.start(org.id, org.name);
    res.status(201).json(org);
  });

  router.get('/v1/orgs', async (req, res) => {
    authorizeGlobal(req, 'ops', 'Only operators for every organization can list organizations.');
    res.json(await listOrgs(db, parse(schemas.orgList, req.query, 'query')));
  });

  router.get('/v1/orgs/:org', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    res.json(org);
  });

  return router;
}

// An organization's webhook endpoints, their secrets and their delivery log. Another
// organization's endpoint or delivery is not found (404), never told apart from a missing one.
import { Router } from 'express';
import { newWebhookSecret } from '../../notifications/signature';
import { insertTestDelivery, listDeliveries, retryDelivery, type EndpointRefusal } from '../../store/deliveries';
import { createEndpoint, deleteEndpoint, getEndpoint, listEndpoints, MAX_ENDPOINTS_PER_ORG, MAX_RETIRED_SECRETS, rotateSecret, updateEndpoint } from '../../store/webhookEndpoints';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { ApiError, notFound } from '../errors';
import { parse } from '../schemas';

const endpointNotFound = () => notFound('Webhook endpoint');

/** `["*"]` means every type, stored as NULL so types added later are delivered too. */
const storedEventTypes = (types: string[]) => (types.includes('*') ? null : types);

function refusal(outcome: EndpointRefusal): ApiError {
  return outcome === 'endpoint_not_found'
    ? endpointNotFound()
    : new ApiError(409, 'endpoint_disabled', 'The webhook endpoint is disabled; enable it first (PATCH with {"enabled": true}).');
}

export function webhookEndpointRoutes({ orgs, db, schemas }: ApiContext): Router {
  const router = Router();
  const base = '/v1/orgs/:org/webhook-endpoints';
  const endpointId = (raw: string) => parse(schemas.webhookEndpointId, raw, 'id');

  router.post(base, async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageNotifications);
    const body = parse(schemas.createWebhookEndpoint, req.body);
    const fields = {
      url: body.url,
      eventTypes: storedEventTypes(body.eventTypes ?? ['*']),
      description: body.description ?? null,
      // Allowed on any organization: it takes effect for whatever sub-accounts it has, now or later.
      includeSubAccounts: body.includeSubAccounts ?? false,
    };
    const endpoint = await createEndpoint(db, org.id, fields, newWebhookSecret());
    if (endpoint === 'endpoint_limit_reached') {
      throw new ApiError(409, 'endpoint_limit_reached', `An organization has at most ${MAX_ENDPOINTS_PER_ORG} webhook endpoints; delete one before adding another.`);
    }
    res.status(201).json(endpoint);
  });

  router.get(base, async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readWebhookEndpoints);
    res.json({ endpoints: await listEndpoints(db, org.id) });
  });

  router.patch(`${base}/:id`, async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageNotifications);
    const id = endpointId(req.params.id);
    const { eventTypes, ...changes } = parse(schemas.updateWebhookEndpoint, req.body);
    const endpoint = await updateEndpoint(db, org.id, id, { ...changes, ...(eventTypes ? { eventTypes: storedEventTypes(eventTypes) } : {}) });
    if (!endpoint) throw endpointNotFound();
    res.json(endpoint);
  });

  router.delete(`${base}/:id`, async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageNotifications);
    if (!(await deleteEndpoint(db, org.id, endpointId(req.params.id)))) throw endpointNotFound();
    res.status(204).end();
  });

  router.post(`${base}/:id/rotate-secret`, async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageNotifications);
    const id = endpointId(req.params.id);
    const secret = newWebhookSecret();
    const rotation = await rotateSecret(db, org.id, id, secret);
    if (rotation === 'endpoint_not_found') throw endpointNotFound();
    if (rotation !== 'rotated') {
      const seconds = Math.max(1, Math.ceil((rotation.retiredSecretsFullUntil.getTime() - Date.now()) / 1000));
      throw new ApiError(429, 'too_many_rotations', `${MAX_RETIRED_SECRETS} secrets rotated out in the last 24 hours still sign every delivery; rotate again once the oldest expires.`, seconds);
    }
    res.json({ secret });
  });

  router.post(`${base}/:id/test`, async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageNotifications);
    const outcome = await insertTestDelivery(db, org.id, endpointId(req.params.id));
    if (typeof outcome === 'string') throw refusal(outcome);
    res.status(202).json(outcome);
  });

  router.get(`${base}/:id/deliveries`, async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readWebhookEndpoints);
    const id = endpointId(req.params.id);
    const { limit, cursor } = parse(schemas.page, req.query);
    if (!(await getEndpoint(db, org.id, id))) throw endpointNotFound();
    res.json(await listDeliveries(db, id, limit, cursor));
  });

  router.post(`${base}/:id/deliveries/:deliveryId/retry`, async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageNotifications);
    const id = endpointId(req.params.id);
    const deliveryId = parse(schemas.deliveryId, req.params.deliveryId, 'deliveryId');
    const outcome = await retryDelivery(db, org.id, id, deliveryId);
    if (outcome === 'endpoint_not_found' || outcome === 'endpoint_disabled') throw refusal(outcome);
    if (outcome === 'delivery_not_found') throw notFound('Delivery');
    if (outcome === 'in_progress') throw new ApiError(409, 'delivery_in_progress', 'The delivery is still pending: it is being attempted, or will be.');
    res.status(202).json({ deliveryId });
  });

  return router;
}

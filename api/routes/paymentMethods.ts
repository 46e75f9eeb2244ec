// An organization's cards: a page to save one (Stripe Checkout in setup mode, or the sandbox's own
// checkout), the list, the default, and removal. Card numbers never reach these routes.
import { Router } from 'express';
import { authorizeOrg, RULES } from '../access';
import type { ApiContext } from '../context';
import { parse } from '../schemas';

export function paymentMethodRoutes({ orgs, payments, cards, schemas, settings, selfUrl }: ApiContext): Router {
  const router = Router();
  const baseUrl = () => settings.portal.publicUrl ?? selfUrl();

  router.post('/v1/orgs/:org/payment-method-sessions', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.openPaymentMethodSession);
    const { returnUrl } = parse(schemas.paymentMethodSession, req.body);
    // Without one the customer comes back to the billing portal.
    const session = await payments.createPaymentMethodSession(org.id, returnUrl ?? `${baseUrl()}/portal/`);
    // The sandbox's page is served here: its url is a path on this service.
    res.status(201).json({ url: new URL(session.url, baseUrl()).toString(), expiresAt: session.expiresAt });
  });

  router.get('/v1/orgs/:org/payment-methods', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    res.json({ paymentMethods: await cards.list(org.id) });
  });

  router.put('/v1/orgs/:org/payment-methods/:id/default', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.managePaymentMethod);
    const card = await cards.get(org.id, parse(schemas.paymentMethodId, req.params.id, 'id'));
    await cards.makeDefault(org.id, card.id, true);
    res.json({ paymentMethods: await cards.list(org.id) });
  });

  router.delete('/v1/orgs/:org/payment-methods/:id', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.managePaymentMethod);
    await cards.remove(org.id, parse(schemas.paymentMethodId, req.params.id, 'id'));
    res.status(204).end();
  });

  return router;
}

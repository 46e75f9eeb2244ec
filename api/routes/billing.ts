// Subscription, payment method, auto-recharge settings, the billing summary and every agent, a page at a time.
import { Router } from 'express';
import { listAgents } from '../../store/agents';
import { readBillingSummary } from '../../store/orgBilling';
import { configureAutoRechargeUpdate, setPaymentMethodUpdate, setSubscriptionUpdate } from '../../workflows/messages';
import { AUTO_RECHARGE_REFUSALS, authorizeOrg, authorizeOwner, RULES } from '../access';
import type { ApiContext } from '../context';
import { ApiError, notFound } from '../errors';
import { PaymentMethodRejected } from '../../payments/provider';
import { parse } from '../schemas';

export const SETTINGS_UPDATED = 'Auto-recharge settings updated.';

export function billingRoutes({ db, orgs, workflows, payments, cards, schemas, hotReads, settings }: ApiContext): Router {
  const router = Router();

  /** From PostgreSQL: the workflow's updates resolve once committed, so this reflects them. */
  async function billing(orgId: string) {
    const summary = await readBillingSummary(hotReads, orgId, settings.rules.creditPricePer1000Cents);
    if (!summary) throw notFound();
    return summary;
  }

  router.put('/v1/orgs/:org/subscription', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.manageSubscription);
    const subscription = parse(schemas.subscription, req.body);
    await workflows.update(org.id, setSubscriptionUpdate, subscription);
    const summary = await billing(org.id);
    res.json({ subscription: { ...subscription, currentPeriodEnd: summary.nextRenewalAt }, planCredits: summary.planCredits });
  });

  router.put('/v1/orgs/:org/payment-method', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.managePaymentMethod);
    const { paymentMethodId } = parse(schemas.paymentMethod, req.body);
    try {
      await payments.attachPaymentMethod(org.id, paymentMethodId);
    } catch (err) {
      if (!(err instanceof PaymentMethodRejected)) throw err;
      throw err.code === 'card_declined' ? new ApiError(402, 'card_declined', err.message) : new ApiError(422, 'invalid_payment_method', err.message);
    }
    // Listed with its details and made the default, as a card saved through Checkout is.
    await cards.add(org.id, paymentMethodId, true);
    res.json({ paymentMethod: (await billing(org.id)).paymentMethod });
  });

  router.delete('/v1/orgs/:org/payment-method', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.managePaymentMethod);
    await workflows.update(org.id, setPaymentMethodUpdate, null);
    res.status(204).end();
  });

  router.put('/v1/orgs/:org/auto-recharge', async (req, res) => {
    const { org } = await authorizeOwner(req, orgs, req.params.org, AUTO_RECHARGE_REFUSALS);
    const body = parse(schemas.autoRecharge, req.body);
    // to_target may leave rechargeCredits out: the saved amount is kept for a switch back to fixed.
    const rechargeCredits = body.rechargeCredits ?? (await billing(org.id)).autoRecharge.rechargeCredits;
    await workflows.update(org.id, configureAutoRechargeUpdate, { ...body, rechargeCredits });
    res.json({ message: SETTINGS_UPDATED, autoRecharge: (await billing(org.id)).autoRecharge });
  });

  router.get('/v1/orgs/:org/billing', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    res.json(await billing(org.id));
  });

  /** The summary shows the agents with the most spend; this pages through all of them, by id. */
  router.get('/v1/orgs/:org/agents', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.readBilling);
    const { limit, cursor } = parse(schemas.agentPage, req.query, 'query');
    const page = await listAgents(db, org.id, limit, cursor);
    if (!page) throw notFound();
    res.json(page);
  });

  return router;
}

// Manual top-ups, the provider webhook, and the sandbox's stand-in for a customer passing 3-D Secure.
import express, { Router } from 'express';
import type { TopUp } from '../../domain/payments';
import { findTopUp } from '../../store/topUps';
import { SandboxPaymentProvider } from '../../payments/sandbox';
import { topUpUpdate } from '../../workflows/messages';
import { authorizeGlobal, authorizeOrg, authorizeOwner, RULES } from '../access';
import { MAX_BODY } from '../bodyLimits';
import type { ApiContext } from '../context';
import { ApiError, forbidden } from '../errors';
import { deliverSandboxEvent } from '../sandboxEvents';
import { usableEvent, verifyEvent } from '../stripeEvents';
import { parse } from '../schemas';

export const TOP_UP_SUCCEEDED = 'Credits topped up successfully.';

const OWNER_REQUIRED_FOR_TOP_UP = () => new ApiError(403, 'owner_required', 'Only the organization owner can top up credits.');

function topUpView(topUp: TopUp) {
  const { id, credits, amountCents, status, clientSecret } = topUp;
  return { id, credits, amountCents, status, ...(status === 'requires_action' ? { clientSecret } : {}) };
}

/** The provider webhook verifies the raw body, so it is mounted before any JSON parsing. */
export function webhookRoutes({ settings, providerEvents }: ApiContext): Router {
  const router = Router();
  router.post('/v1/stripe/webhook', express.raw({ type: () => true, limit: MAX_BODY }), async (req, res) => {
    const signature = req.header('stripe-signature');
    let event;
    try {
      event = verifyEvent(req.body as Buffer, signature ?? '', settings.stripe.webhookSecret);
    } catch {
      throw new ApiError(400, 'invalid_signature', 'The webhook signature is invalid.');
    }
    const handled = await providerEvents.handle(usableEvent(event));
    res.json({ received: true, duplicate: !handled });
  });
  return router;
}

export function paymentRoutes({ orgs, workflows, payments, settings, selfUrl, schemas, db }: ApiContext): Router {
  const router = Router();

  router.post('/v1/orgs/:org/top-ups', async (req, res) => {
    const { org } = await authorizeOwner(req, orgs, req.params.org, { agency: forbidden, notOwner: OWNER_REQUIRED_FOR_TOP_UP });
    const idempotencyKey = req.header('idempotency-key');
    if (!idempotencyKey) throw new ApiError(400, 'idempotency_key_required', 'An Idempotency-Key header is required.');
    parse(schemas.idempotencyKey, idempotencyKey, 'Idempotency-Key');
    const { credits } = parse(schemas.topUp, req.body);
    // A key answers with its own top-up for good; only a new one (or one still charging) reaches the workflow.
    const known = await findTopUp(db, org.id, idempotencyKey);
    if (known && known.credits !== credits) throw new ApiError(409, 'idempotency_key_conflict', 'This Idempotency-Key was used for a different top-up.');
    const topUp = known && known.status !== 'processing' ? known : await workflows.update(org.id, topUpUpdate, { idempotencyKey, credits });
    if (topUp.status === 'succeeded') {
      res.status(201).json({ topUp: topUpView(topUp), message: TOP_UP_SUCCEEDED });
    } else if (topUp.status === 'failed') {
      res.status(402).json({ error: { code: 'card_declined', message: topUp.message ?? 'The card was declined.', declineCode: topUp.declineCode } });
    } else {
      res.status(202).json({ topUp: topUpView(topUp) });
    }
  });

  router.post('/v1/sandbox/payment-intents/:id/confirm', async (req, res) => {
    if (!(payments instanceof SandboxPaymentProvider)) throw new ApiError(404, 'not_found', 'No such route.');
    authorizeGlobal(req, 'ops', 'Only operators for every organization can play the customer in the sandbox.');
    res.json(await completeAuthentication(payments, parse(schemas.paymentIntentId, req.params.id, 'id')));
  });

  /** What Stripe.js does in the customer's browser: the client secret is the proof, no operator token. */
  router.post('/v1/sandbox/payment-intents/:id/authenticate', async (req, res) => {
    if (!(payments instanceof SandboxPaymentProvider)) throw new ApiError(404, 'not_found', 'No such route.');
    const intentId = parse(schemas.paymentIntentId, req.params.id, 'id');
    const { clientSecret } = parse(schemas.sandboxAuthenticate, req.body);
    const orgId = await payments.intentOrg(intentId, clientSecret);
    if (!orgId) throw new ApiError(404, 'payment_intent_not_found', 'Payment intent not found.');
    await authorizeOrg(req, orgs, orgId, RULES.authenticatePayment);
    res.json(await completeAuthentication(payments, intentId));
  });

  /** Confirms a sandbox intent waiting for 3-D Secure and delivers the signed webhook Stripe would send. */
  async function completeAuthentication(payments: SandboxPaymentProvider, intentId: string) {
    const completed = await payments.completeAuthentication(intentId);
    if (!completed) throw new ApiError(404, 'payment_intent_not_found', 'Payment intent not found.');
    const { intent, confirmed } = completed;
    // Already succeeded, canceled or failed: nothing happened, so no webhook either.
    if (!confirmed) throw new ApiError(409, 'payment_intent_not_confirmable', `Only a payment waiting for authentication can be confirmed; this one is ${intent.status}.`);
    // What Stripe would send: a signed payment_intent.succeeded, through the same webhook route.
    const webhookDelivered = await deliverSandboxEvent({ selfUrl, webhookSecret: settings.stripe.webhookSecret }, 'payment_intent.succeeded', {
      id: intent.id,
      object: 'payment_intent',
      status: 'succeeded',
      amount: intent.amountCents,
      currency: 'usd',
      metadata: { orgId: intent.orgId, paymentId: intent.paymentId },
    });
    return { paymentIntent: { id: intent.id, status: intent.status }, webhookDelivered };
  }

  return router;
}

// The sandbox playing the provider's side of refunds and disputes (ops, sandbox only): each
// changes the sandbox's own records as Stripe would, then delivers the signed events Stripe would
// send (charge.refunded with its refunds list and refund.updated; charge.dispute.created and
// charge.dispute.closed) through this service's own webhook route.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { SandboxPaymentProvider } from '../../payments/sandbox';
import { findIntent, type StoredIntent } from '../../store/sandboxPaymentIntents';
import type { StoredDispute, StoredRefund } from '../../store/sandboxRefunds';
import { authorizeGlobal } from '../access';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { deliverSandboxEvent } from '../sandboxEvents';
import { parse } from '../schemas';

/** The sandbox's charge id for an intent (one charge per intent). */
export const sandboxChargeId = (intentId: string) => `ch_${intentId.replace(/^pi_/, '')}`;

const refundObject = (intent: StoredIntent, refund: StoredRefund) => ({
  id: refund.id,
  object: 'refund',
  amount: refund.amountCents,
  currency: 'usd',
  charge: sandboxChargeId(intent.id),
  payment_intent: intent.id,
  status: 'succeeded',
  metadata: refund.metadata,
  created: Math.floor(refund.createdAt.getTime() / 1000),
});

const disputeObject = (intent: StoredIntent, dispute: StoredDispute) => ({
  id: dispute.id,
  object: 'dispute',
  amount: dispute.amountCents,
  currency: 'usd',
  charge: sandboxChargeId(intent.id),
  payment_intent: intent.id,
  reason: 'fraudulent',
  status: dispute.status,
});

export function sandboxRefundRoutes({ payments, settings, selfUrl, schemas, db }: ApiContext): Router {
  const router = Router();
  const target = { selfUrl, webhookSecret: settings.stripe.webhookSecret };

  /** The sandbox provider and the intent named, for an operator for every organization. */
  async function sandboxIntent(req: Parameters<typeof authorizeGlobal>[0]) {
    if (!(payments instanceof SandboxPaymentProvider)) throw new ApiError(404, 'not_found', 'No such route.');
    authorizeGlobal(req, 'ops', 'Only operators for every organization can play the payment provider in the sandbox.');
    const intent = await findIntent(db, parse(schemas.paymentIntentId, req.params.id, 'id'));
    if (!intent) throw new ApiError(404, 'payment_intent_not_found', 'Payment intent not found.');
    return { sandbox: payments, intent };
  }

  /** A refund made in the provider's dashboard: amountCents, or everything left. */
  router.post('/v1/sandbox/payment-intents/:id/refund', async (req, res) => {
    const { sandbox, intent } = await sandboxIntent(req);
    const { amountCents } = parse(schemas.sandboxRefund, req.body);
    const refund = await sandbox.createRefund(intent.id, amountCents ?? null, `dashboard-${randomUUID()}`);
    if ('refused' in refund) throw new ApiError(409, 'refund_refused', refund.refused);
    const refunds = (await sandbox.refunds(intent.id)).map((r) => refundObject(intent, r));
    const refunded = refunds.reduce((sum, r) => sum + r.amount, 0);
    const chargeDelivered = await deliverSandboxEvent(target, 'charge.refunded', {
      id: sandboxChargeId(intent.id),
      object: 'charge',
      amount: intent.amountCents,
      amount_refunded: refunded,
      refunded: refunded >= intent.amountCents,
      currency: 'usd',
      payment_intent: intent.id,
      metadata: { orgId: intent.orgId, paymentId: intent.paymentId },
      refunds: { object: 'list', data: refunds, has_more: false },
    });
    const refundDelivered = await deliverSandboxEvent(target, 'refund.updated', refundObject(intent, refund));
    res.status(201).json({ refund: { id: refund.id, amountCents: refund.amountCents }, webhookDelivered: chargeDelivered && refundDelivered });
  });

  router.post('/v1/sandbox/payment-intents/:id/dispute', async (req, res) => {
    const { sandbox, intent } = await sandboxIntent(req);
    parse(schemas.sandboxDisputeOpen, req.body);
    const dispute = await sandbox.openDispute(intent.id);
    if (!dispute) throw new ApiError(409, 'dispute_not_possible', 'Only a succeeded payment without a dispute can be disputed.');
    const webhookDelivered = await deliverSandboxEvent(target, 'charge.dispute.created', disputeObject(intent, dispute));
    res.status(201).json({ dispute: { id: dispute.id, status: dispute.status }, webhookDelivered });
  });

  router.post('/v1/sandbox/payment-intents/:id/dispute/close', async (req, res) => {
    const { sandbox, intent } = await sandboxIntent(req);
    const { status } = parse(schemas.sandboxDisputeClose, req.body);
    const dispute = await sandbox.closeDispute(intent.id, status);
    if (!dispute) throw new ApiError(409, 'dispute_not_open', 'This payment has no open dispute.');
    const webhookDelivered = await deliverSandboxEvent(target, 'charge.dispute.closed', disputeObject(intent, dispute));
    res.json({ dispute: { id: dispute.id, status: dispute.status }, webhookDelivered });
  });

  return router;
}

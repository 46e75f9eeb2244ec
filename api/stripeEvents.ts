// Provider events (Stripe's, or the sandbox's in the same shape), verified on the raw body and
// turned into workflow messages. Each event id is claimed before it is acted on, so it is acted on
// once however many deliveries come at once; any order is harmless because payment intents are
// re-read by the workflow and subscription events older than the last one applied are ignored.
// Every figure an event carries is held to the bounds the API sets (domain/subscription.ts).
import type { Pool } from 'pg';
import Stripe from 'stripe';
import { z } from 'zod';
import { MAX_PERIOD_END_MS, subscriptionRefusal, type Subscription, type SubscriptionStatus } from '../domain/subscription';
import type { Logger } from '../observability/logger';
import type { PaymentProvider } from '../payments/provider';
import { claimNewestSubscriptionEvent, claimProviderEvent, markProviderEventActedOn, releaseProviderEvent } from '../store/providerEvents';
import { orgOfCustomer } from '../store/stripeCustomers';
import { applyPaymentChangesUpdate, paymentIntentUpdatedSignal, setSubscriptionUpdate } from '../workflows/messages';
import type { DisputeStatus, PaymentChange } from '../domain/paymentRecords';
import { findPaymentByIntent } from '../store/payments';
import { ApiError } from './errors';
import type { OrgStore } from './orgStore';
import type { PaymentMethodBook } from './paymentMethods';
import type { OrgWorkflows } from './orgWorkflows';
import { idSchema, PRINTABLE } from './schemas';

const webhooks = Stripe.webhooks;

export type ProviderEvent = Stripe.Event;

export function verifyEvent(rawBody: Buffer, signature: string, secret: string): ProviderEvent {
  return webhooks.constructEvent(rawBody, signature, secret);
}

const providerId = z.string().min(1).max(255).regex(PRINTABLE);

/** A refund as Stripe describes it, with the figures we act on checked. */
const refundShape = z.looseObject({
  id: providerId,
  amount: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  status: z.string().nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
});

/** What every event needs before anything acts on it. The object's id is checked when it has one
 * (a balance has none), and required where it is acted on (objectId). */
const eventShape = z.looseObject({
  id: providerId,
  type: z.string().min(1).max(255),
  created: z.int(),
  data: z.looseObject({ object: z.looseObject({ id: providerId.optional() }) }),
});

/** A signed event we cannot use is refused with a 400 (a 500 is retried by Stripe for days). */
const invalidEvent = (message: string) => new ApiError(400, 'invalid_event', `The event is not usable: ${message}`);

export function usableEvent(event: unknown): ProviderEvent {
  const result = eventShape.safeParse(event);
  if (!result.success) throw invalidEvent(result.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; '));
  return event as ProviderEvent;
}

function objectId(event: ProviderEvent): string {
  const { id } = event.data.object as { id?: string };
  if (!id) throw invalidEvent('data.object.id: required');
  return id;
}

/** The Stripe-Signature header Stripe would send with this payload. */
export function signPayload(payload: string, secret: string): string {
  return webhooks.generateTestHeaderString({ payload, secret });
}

const SUBSCRIPTION_STATUS: Record<string, SubscriptionStatus> = {
  active: 'active',
  trialing: 'active',
  past_due: 'past_due',
  unpaid: 'past_due',
  incomplete: 'past_due',
  paused: 'past_due',
  canceled: 'canceled',
  incomplete_expired: 'canceled',
};

/** Metadata values are text: plan credits are written in digits, nothing else. */
const WHOLE_NUMBER = /^\d+$/;

/**
 * Plan credits come from metadata.planCredits on the subscription or on its price (none: 0), times
 * the quantity. Held to the bounds the API sets: anything else is refused, and the plan stays.
 */
export function subscriptionFrom(sub: Stripe.Subscription, deleted: boolean): Subscription {
  const item = sub.items?.data?.[0] as (Stripe.SubscriptionItem & { current_period_end?: unknown }) | undefined;
  const perUnit: unknown = sub.metadata?.planCredits ?? item?.price?.metadata?.planCredits ?? '0';
  if (typeof perUnit !== 'string' || !WHOLE_NUMBER.test(perUnit)) throw invalidEvent(`metadata.planCredits: must be a whole number of credits, not ${JSON.stringify(perUnit)}`);
  const quantity: unknown = item?.quantity ?? 1;
  if (!Number.isSafeInteger(quantity) || (quantity as number) < 0) throw invalidEvent('items.data[0].quantity: must be a whole number');
  const periodEnd: unknown = item?.current_period_end ?? (sub as unknown as { current_period_end?: unknown }).current_period_end ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(periodEnd) || (periodEnd as number) < 0 || (periodEnd as number) * 1000 > MAX_PERIOD_END_MS) throw invalidEvent('current_period_end: must be a time in seconds before the year 10000');
  const subscription: Subscription = {
    status: deleted ? 'canceled' : (SUBSCRIPTION_STATUS[sub.status] ?? 'past_due'),
    planCredits: Number(perUnit) * (quantity as number),
    currentPeriodEnd: new Date((periodEnd as number) * 1000).toISOString(),
  };
  const refusal = subscriptionRefusal(subscription);
  if (refusal) throw invalidEvent(`plan credits (metadata.planCredits × quantity): ${refusal}`);
  return subscription;
}

/** How long a delivery's claim on an event holds while it acts: a process that died lets go after it. */
const EVENT_CLAIM_LEASE_MS = 5 * 60_000;

/** Another delivery of the event is acting on it: the provider retries this one later (a 2xx would end its retries). */
const eventInProgress = () => new ApiError(409, 'event_in_progress', 'This event is being acted on by another delivery; retry later.', 60);

export class ProviderEventHandler {
  constructor(
    private readonly db: Pool,
    private readonly orgs: OrgStore,
    private readonly workflows: OrgWorkflows,
    private readonly logger: Logger,
    private readonly payments: PaymentProvider,
    private readonly cards: PaymentMethodBook,
  ) {}

  /** False when the event was acted on before (a redelivery). */
  async handle(event: ProviderEvent): Promise<boolean> {
    const claim = await claimProviderEvent(this.db, event.id, event.type, EVENT_CLAIM_LEASE_MS);
    if (claim === 'acted_on') return false;
    if (claim === 'in_progress') throw eventInProgress();
    try {
      await this.dispatch(event);
    } catch (err) {
      // Not acted on: the provider's next delivery acts on it again.
      await releaseProviderEvent(this.db, event.id);
      if (err instanceof ApiError && err.code === 'invalid_event') this.logger.warn({ eventId: event.id, type: event.type, reason: err.message }, 'provider event refused');
      throw err;
    }
    await markProviderEventActedOn(this.db, event.id);
    return true;
  }

  private async dispatch(event: ProviderEvent): Promise<void> {
    switch (event.type) {
      case 'payment_intent.succeeded':
      case 'payment_intent.payment_failed':
      case 'payment_intent.requires_action':
      case 'payment_intent.canceled':
      case 'payment_intent.processing': {
        const intent = event.data.object;
        const intentId = objectId(event);
        const org = await this.knownOrg(intent.metadata?.orgId);
        if (org) await this.workflows.signal(org, paymentIntentUpdatedSignal, intentId);
        return;
      }
      case 'payment_method.attached': {
        const method = event.data.object;
        const methodId = objectId(event);
        const org = await this.orgOfCustomer(method.customer);
        if (org) await this.cards.add(org, methodId, false);
        return;
      }
      case 'payment_method.detached': {
        const method = event.data.object;
        const methodId = objectId(event);
        const previous = (event.data.previous_attributes as { customer?: string } | undefined)?.customer;
        const org = await this.orgOfCustomer(previous ?? method.customer);
        if (!org) return;
        await this.cards.remove(org, methodId, true);
        return;
      }
      // A card saved through Checkout (setup mode) counts once the provider says so, whichever of
      // these arrives first; the setup intent is re-read, and its customer names the organization.
      case 'checkout.session.completed': {
        const session = event.data.object;
        if (session.mode !== 'setup') return;
        const setupIntent = typeof session.setup_intent === 'string' ? session.setup_intent : session.setup_intent?.id;
        if (!providerId.safeParse(setupIntent).success) throw invalidEvent('data.object.setup_intent: required in setup mode');
        await this.addSavedCard(setupIntent as string);
        return;
      }
      case 'setup_intent.succeeded':
        await this.addSavedCard(objectId(event));
        return;
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const sub = event.data.object;
        const org = (await this.knownOrg(sub.metadata?.orgId)) ?? (await this.orgOfCustomer(sub.customer));
        if (!org) return;
        // Checked before it may count as the newest: a refused event leaves the plan as it was.
        const subscription = subscriptionFrom(sub, event.type === 'customer.subscription.deleted');
        if (!(await claimNewestSubscriptionEvent(this.db, org, event.created))) return;
        await this.workflows.update(org, setSubscriptionUpdate, subscription);
        return;
      }
      case 'charge.refunded': {
        // Every refund of the charge so far (Stripe lists them on the charge); each applies once by its id.
        const charge = event.data.object as Stripe.Charge;
        const refunds = z.array(z.unknown()).safeParse(charge.refunds?.data ?? []);
        if (!refunds.success) throw invalidEvent('data.object.refunds.data: must be a list');
        await this.applyRefunds(charge.payment_intent, refunds.data);
        return;
      }
      case 'refund.created':
      case 'refund.updated': {
        objectId(event);
        await this.applyRefunds((event.data.object as Stripe.Refund).payment_intent, [event.data.object]);
        return;
      }
      case 'charge.dispute.created':
      case 'charge.dispute.closed': {
        const dispute = event.data.object as Stripe.Dispute;
        const disputeId = objectId(event);
        // A dispute closed as warning_closed (an inquiry) or still under review changes nothing.
        const closedAs = String(dispute.status);
        const status: DisputeStatus | null = event.type === 'charge.dispute.created' ? 'open' : closedAs === 'won' || closedAs === 'lost' ? closedAs : null;
        const payment = await this.paymentOfIntent(dispute.payment_intent);
        if (!payment || !status) return;
        await this.workflows.update(payment.orgId, applyPaymentChangesUpdate, [{ type: 'dispute', paymentId: payment.paymentId, disputeId, status }]);
        return;
      }
      default:
        return;
    }
  }

  /** Refunds the provider reported, succeeded or on their way (pending): their credits are no longer the customer's. */
  private async applyRefunds(intent: string | Stripe.PaymentIntent | null | undefined, refunds: unknown[]): Promise<void> {
    const payment = await this.paymentOfIntent(intent);
    if (!payment) return;
    const changes: PaymentChange[] = [];
    for (const raw of refunds) {
      const parsed = refundShape.safeParse(raw);
      if (!parsed.success) throw invalidEvent(`refund: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const refund = parsed.data;
      if (refund.status !== 'succeeded' && refund.status !== 'pending') continue;
      const credits = refund.metadata?.credits;
      const named = credits !== undefined && WHOLE_NUMBER.test(credits) && refund.metadata?.paymentId === payment.paymentId ? Number(credits) : null;
      changes.push({ type: 'refund', paymentId: payment.paymentId, refundId: refund.id, amountCents: refund.amount, credits: named });
    }
    if (changes.length > 0) await this.workflows.update(payment.orgId, applyPaymentChangesUpdate, changes);
  }

  /** Our payment behind a provider intent (the payments table, never the event's metadata): undefined for one we did not make. */
  private async paymentOfIntent(intent: string | Stripe.PaymentIntent | null | undefined): Promise<{ orgId: string; paymentId: string } | undefined> {
    const id = typeof intent === 'string' ? intent : intent?.id;
    if (!providerId.safeParse(id).success) return undefined;
    return findPaymentByIntent(this.db, id as string);
  }

  private async addSavedCard(setupIntentId: string): Promise<void> {
    const saved = await this.payments.savedPaymentMethod(setupIntentId);
    if (saved && (await this.orgs.get(saved.orgId))) await this.cards.add(saved.orgId, saved.paymentMethodId, false);
  }

  /** Metadata is anyone's text: an id no organization can have names none. */
  private async knownOrg(orgId: unknown): Promise<string | undefined> {
    return idSchema.safeParse(orgId).success && (await this.orgs.get(orgId as string)) ? (orgId as string) : undefined;
  }

  private async orgOfCustomer(customer: string | Stripe.Customer | Stripe.DeletedCustomer | null | undefined): Promise<string | undefined> {
    const id = typeof customer === 'string' ? customer : customer?.id;
    if (!providerId.safeParse(id).success) return undefined;
    return orgOfCustomer(this.db, id as string);
  }
}

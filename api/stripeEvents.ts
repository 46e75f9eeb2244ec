// Provider events (Stripe's, or the sandbox's in the same shape), verified on the raw body and
// turned into workflow messages. Each event id is acted on once; any order is harmless because
// payment intents are re-read by the workflow and subscription events older than the last one
// applied are ignored.
import type { Pool } from 'pg';
import Stripe from 'stripe';
import { z } from 'zod';
import type { Subscription, SubscriptionStatus } from '../domain/subscription';
import { readPaymentMethodId } from '../store/orgBilling';
import { claimNewestSubscriptionEvent, providerEventSeen, recordProviderEvent } from '../store/providerEvents';
import { orgOfCustomer } from '../store/stripeCustomers';
import { paymentIntentUpdatedSignal, setPaymentMethodUpdate, setSubscriptionUpdate } from '../workflows/messages';
import { ApiError } from './errors';
import type { OrgStore } from './orgStore';
import type { OrgWorkflows } from './orgWorkflows';
import { idSchema, PRINTABLE } from './schemas';

const webhooks = Stripe.webhooks;

export type ProviderEvent = Stripe.Event;

export function verifyEvent(rawBody: Buffer, signature: string, secret: string): ProviderEvent {
  return webhooks.constructEvent(rawBody, signature, secret);
}

const providerId = z.string().min(1).max(255).regex(PRINTABLE);

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

/** Plan credits come from metadata.planCredits on the subscription or on its price, times the quantity. */
export function subscriptionFrom(sub: Stripe.Subscription, deleted: boolean): Subscription {
  const item = sub.items?.data?.[0] as (Stripe.SubscriptionItem & { current_period_end?: number }) | undefined;
  const perUnit = Number(sub.metadata?.planCredits ?? item?.price?.metadata?.planCredits ?? 0);
  const periodEnd = item?.current_period_end ?? (sub as unknown as { current_period_end?: number }).current_period_end ?? Math.floor(Date.now() / 1000);
  return {
    status: deleted ? 'canceled' : (SUBSCRIPTION_STATUS[sub.status] ?? 'past_due'),
    planCredits: Number.isSafeInteger(perUnit) && perUnit > 0 ? perUnit * (item?.quantity ?? 1) : 0,
    currentPeriodEnd: new Date(periodEnd * 1000).toISOString(),
  };
}

export class ProviderEventHandler {
  constructor(
    private readonly db: Pool,
    private readonly orgs: OrgStore,
    private readonly workflows: OrgWorkflows,
  ) {}

  /** False when the event was handled before (a redelivery). */
  async handle(event: ProviderEvent): Promise<boolean> {
    if (await providerEventSeen(this.db, event.id)) return false;
    await this.dispatch(event);
    // Recorded after acting: an event that failed midway is acted on again when Stripe retries.
    await recordProviderEvent(this.db, event.id, event.type);
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
        if (org) await this.workflows.update(org, setPaymentMethodUpdate, methodId);
        return;
      }
      case 'payment_method.detached': {
        const method = event.data.object;
        const methodId = objectId(event);
        const previous = (event.data.previous_attributes as { customer?: string } | undefined)?.customer;
        const org = await this.orgOfCustomer(previous ?? method.customer);
        if (!org) return;
        if ((await readPaymentMethodId(this.db, org)) === methodId) await this.workflows.update(org, setPaymentMethodUpdate, null);
        return;
      }
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const sub = event.data.object;
        const org = (await this.knownOrg(sub.metadata?.orgId)) ?? (await this.orgOfCustomer(sub.customer));
        if (!org || !(await claimNewestSubscriptionEvent(this.db, org, event.created))) return;
        await this.workflows.update(org, setSubscriptionUpdate, subscriptionFrom(sub, event.type === 'customer.subscription.deleted'));
        return;
      }
      default:
        return;
    }
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

// The sandbox provider's side of Stripe's webhooks: an event in Stripe's shape, signed with the
// webhook secret and POSTed to this service's own webhook route, so the sandbox exercises the very
// path Stripe's deliveries take (verification on the raw body, claims, the workflow's answer).
import { randomUUID } from 'node:crypto';
import { signPayload } from './stripeEvents';

export interface SandboxEventTarget {
  /** This service's base URL (ApiContext.selfUrl). */
  selfUrl: () => string;
  webhookSecret: string;
}

/** Delivers one signed event; true when the webhook route answered 2xx. */
export async function deliverSandboxEvent(target: SandboxEventTarget, type: string, object: Record<string, unknown>): Promise<boolean> {
  const payload = JSON.stringify({
    id: `evt_sandbox_${randomUUID().replace(/-/g, '')}`,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: { object },
  });
  const delivery = await fetch(`${target.selfUrl()}/v1/stripe/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(payload, target.webhookSecret) },
    body: payload,
  });
  return delivery.ok;
}

// Every event type the service emits: what webhook endpoints and e-mail settings may subscribe to.
export const EVENT_TYPES = [
  'settings.updated',
  'auto_recharge.succeeded',
  'auto_recharge.failed',
  'auto_recharge.disabled',
  'auto_recharge.cap_reached',
  'auto_recharge.cap_forecast',
  'payment.requires_action',
  'top_up.succeeded',
  'top_up.failed',
  'allocation.succeeded',
  'allocation.failed',
  'balance.low',
  'subscription.updated',
  'plan.renewed',
  'payment_method.updated',
  'payment_method.removed',
  'agent.updated',
  'webhook_endpoint.disabled',
  'payment.refunded',
  'payment.disputed',
  'payment_method.expiring',
  'credits.granted',
  'credits.expired',
  'credits.voided',
  'alert.triggered',
  'usage.voided',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Sent only by `POST …/webhook-endpoints/:id/test`, to that endpoint. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

/** What the owner is e-mailed about unless the setting says otherwise: what needs a person, and
 * each payment's receipt (the *.succeeded e-mails carry its link) and what was taken back. */
export const DEFAULT_EMAIL_EVENT_TYPES: EventType[] = [
  'auto_recharge.failed',
  'auto_recharge.disabled',
  'auto_recharge.cap_reached',
  'payment.requires_action',
  'top_up.failed',
  'allocation.failed',
  'webhook_endpoint.disabled',
  'auto_recharge.succeeded',
  'top_up.succeeded',
  'allocation.succeeded',
  'payment.refunded',
  'payment.disputed',
  'payment_method.expiring',
  'credits.expired',
  // The owner set the alert to be told.
  'alert.triggered',
];

// One attempt of a delivery (a webhook POST or an owner's e-mail), recorded in PostgreSQL with
// what it means for the endpoint: healthy again, failing since when, or disabled (410, or every
// delivery failing for WEBHOOK_DISABLE_AFTER_MS). An HTTP failure is an outcome, not an error:
// only the database failing makes Temporal retry the activity.
import type { Pool } from 'pg';
import type { NotificationSettings } from '../config/notificationSettings';
import { notificationEmail } from '../domain/notificationEmail';
import { sendEmail } from '../notifications/sendEmail';
import { sendWebhook } from '../notifications/sendWebhook';
import type { Logger } from '../observability/logger';
import { deliveriesTotal, deliveryDuration } from '../observability/metrics';
import { closeDelivery, loadDelivery, recordAttempt, type DeliveryTarget } from '../store/deliveries';
import { disableEndpoint, noteEndpointHealth } from '../store/webhookEndpoints';
import { findPayment } from '../store/payments';
import { receiptLink, type ReceiptLinks } from '../notifications/receiptLinks';

export interface AttemptInput {
  deliveryId: string;
  /** The schedule's delay before the next attempt; null for the last one. */
  nextDelayMs: number | null;
}

export interface AttemptOutcome {
  done: boolean;
  /** When not done: how long to wait before the next attempt (the schedule, or a longer Retry-After). */
  nextAttemptInMs: number | null;
}

const DONE: AttemptOutcome = { done: true, nextAttemptInMs: null };

export function deliveryActivities({ db, notifications, logger, receiptLinks }: { db: Pool; notifications: NotificationSettings; logger: Logger; receiptLinks?: ReceiptLinks }) {
  let saidNoSmtp = false;

  /** A successful payment's e-mail carries its receipt's link (the organization's own payments only: an allocation's sub-account has none). */
  async function receiptUrlOf(orgId: string, event: { type: string; data: unknown }): Promise<string | null> {
    const paymentId = (event.data as { paymentId?: unknown } | null)?.paymentId;
    if (!receiptLinks || !event.type.endsWith('.succeeded') || typeof paymentId !== 'string') return null;
    const payment = await findPayment(db, orgId, paymentId);
    return payment?.receiptNumber ? receiptLink(receiptLinks, orgId, paymentId) : null;
  }

  /** A failed attempt: the next one after the schedule's delay (or a longer Retry-After), or none after the last. */
  async function failed(input: AttemptInput, statusCode: number | null, error: string | null, retryAfterMs: number | null = null): Promise<AttemptOutcome> {
    if (input.nextDelayMs === null) {
      await recordAttempt(db, input.deliveryId, { status: 'failed', statusCode, error, nextAttemptInMs: null });
      return DONE;
    }
    const wait = Math.max(input.nextDelayMs, retryAfterMs ?? 0);
    await recordAttempt(db, input.deliveryId, { status: 'pending', statusCode, error, nextAttemptInMs: wait });
    return { done: false, nextAttemptInMs: wait };
  }

  async function attemptWebhook(input: AttemptInput, target: DeliveryTarget): Promise<AttemptOutcome> {
    const endpoint = target.endpoint;
    if (!endpoint || !endpoint.enabled) {
      await closeDelivery(db, input.deliveryId, endpoint ? 'The endpoint is disabled.' : 'The endpoint was deleted.');
      return DONE;
    }
    const stopTimer = deliveryDuration.startTimer({ channel: 'webhook' });
    const answer = await sendWebhook({
      url: endpoint.url,
      webhookId: target.id,
      body: JSON.stringify(target.payload),
      secrets: endpoint.secrets,
      timeoutMs: notifications.timeoutMs,
      allowPrivate: notifications.allowPrivateUrls,
    });
    stopTimer();
    const { statusCode } = answer;
    if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
      deliveriesTotal.inc({ channel: 'webhook', outcome: 'succeeded' });
      await recordAttempt(db, input.deliveryId, { status: 'succeeded', statusCode, error: null, nextAttemptInMs: null });
      await noteEndpointHealth(db, endpoint.id, true);
      return DONE;
    }
    const error = answer.error ?? `HTTP ${statusCode}`;
    if (statusCode === 410) {
      deliveriesTotal.inc({ channel: 'webhook', outcome: 'gone' });
      // The endpoint first, then the attempt: whoever sees the delivery failed sees the endpoint
      // disabled, and a crash between the two leaves the retried attempt to close the delivery.
      await disableEndpoint(db, target.orgId, endpoint, 'The endpoint answered 410 Gone.');
      await recordAttempt(db, input.deliveryId, { status: 'failed', statusCode, error, nextAttemptInMs: null });
      return DONE;
    }
    deliveriesTotal.inc({ channel: 'webhook', outcome: 'failed' });
    const failingSince = await noteEndpointHealth(db, endpoint.id, false);
    if (failingSince && Date.now() - failingSince.getTime() >= notifications.disableAfterMs) {
      await disableEndpoint(db, target.orgId, endpoint, `Every delivery failed since ${failingSince.toISOString()}.`);
      await recordAttempt(db, input.deliveryId, { status: 'failed', statusCode, error, nextAttemptInMs: null });
      return DONE;
    }
    return failed(input, statusCode, error, answer.retryAfterMs);
  }

  async function attemptEmail(input: AttemptInput, target: DeliveryTarget): Promise<AttemptOutcome> {
    if (!notifications.smtpUrl) {
      if (!saidNoSmtp) logger.warn('SMTP_URL is not set: notification e-mail is not sent');
      saidNoSmtp = true;
      await closeDelivery(db, input.deliveryId, 'SMTP_URL is not set.');
      return DONE;
    }
    if (!target.email) {
      await closeDelivery(db, input.deliveryId, 'The organization has no notification address.');
      return DONE;
    }
    const { event } = target.payload.data;
    const mail = notificationEmail({ id: target.eventOrgId, name: target.orgName }, event, await receiptUrlOf(target.eventOrgId, event));
    const stopTimer = deliveryDuration.startTimer({ channel: 'email' });
    try {
      await sendEmail(notifications.smtpUrl, { from: notifications.from, to: target.email, ...mail });
    } catch (err) {
      deliveriesTotal.inc({ channel: 'email', outcome: 'failed' });
      return failed(input, null, (err as Error).message);
    } finally {
      stopTimer();
    }
    deliveriesTotal.inc({ channel: 'email', outcome: 'succeeded' });
    await recordAttempt(db, input.deliveryId, { status: 'succeeded', statusCode: null, error: null, nextAttemptInMs: null });
    return DONE;
  }

  return {
    async deliverySchedule(): Promise<{ retryScheduleMs: number[]; timeoutMs: number }> {
      return { retryScheduleMs: notifications.retryScheduleMs, timeoutMs: notifications.timeoutMs };
    },
    async attemptDelivery(input: AttemptInput): Promise<AttemptOutcome> {
      const target = await loadDelivery(db, input.deliveryId);
      if (!target) return DONE;
      return target.channel === 'webhook' ? attemptWebhook(input, target) : attemptEmail(input, target);
    },
  };
}

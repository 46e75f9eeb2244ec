// Request schemas: every field of every body and query is checked here, once.
import { z } from 'zod';
import { EVENT_TYPES } from '../domain/eventTypes';
import { urlRefusal } from '../notifications/urlPolicy';
import { RECHARGE_MODES, type RechargeMode } from '../domain/autoRecharge';
import { AUTO_RECHARGE_STATES, PAYMENT_STATUSES, type AutoRechargeState, type PaymentStatus } from '../domain/opsStatus';
import { occurredAtAccepted } from '../domain/usage';
import { MAX_CREDITS, MAX_PERIOD_END_MS, SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '../domain/subscription';
import { PAYMENT_STATUSES as PAYMENT_LIST_STATUSES } from '../domain/paymentRecords';
import { MAX_ALERTS } from '../domain/alerts';
import { ApiError } from './errors';

export const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');

/** Free text we store and show: no control characters (a NUL byte is refused by PostgreSQL, the
 * rest garble logs and terminals) and no unpaired surrogates (they cannot be encoded as UTF-8). */
export const PRINTABLE = /^[^\p{Cc}\p{Cs}]*$/u;

const timestamp = z.iso.datetime({ offset: true });

export const createOrgBody = z.strictObject({
  id: idSchema,
  name: z.string().trim().min(1).max(200).regex(PRINTABLE, 'must not contain control characters'),
  parentId: idSchema.optional(),
});

/** The bounds domain/subscription.ts holds every subscription to (a provider event's too), and a period end in the future. */
export const subscriptionBody = z.strictObject({
  status: z.enum(SUBSCRIPTION_STATUSES as [SubscriptionStatus, ...SubscriptionStatus[]]),
  planCredits: z.int().min(0).max(MAX_CREDITS),
  currentPeriodEnd: timestamp
    .refine((value) => Date.parse(value) > Date.now(), 'must be in the future')
    .refine((value) => Date.parse(value) <= MAX_PERIOD_END_MS, 'must be before the year 10000'),
});

export const paymentMethodIdSchema = z.string().regex(/^pm_[A-Za-z0-9_]{1,200}$/, 'must be a payment method id (pm_...)');

export const paymentMethodBody = z.strictObject({
  paymentMethodId: paymentMethodIdSchema,
});

/** Where the customer comes back to after saving a card (or cancelling): an http(s) address. */
const returnUrl = z
  .string()
  .max(2000)
  .refine((value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');

export const paymentMethodSessionBody = z.strictObject({ returnUrl: returnUrl.optional() });

/** The auto-recharge settings' fields, before the rules between them (checkRechargeFields). */
function autoRechargeFields(minTopUpCredits: number) {
  return z.strictObject({
    enabled: z.boolean(),
    thresholdCredits: z.int().min(0).max(MAX_CREDITS),
    rechargeCredits: z.int().min(minTopUpCredits).max(MAX_CREDITS).optional().describe('what a fixed recharge buys; required with mode fixed'),
    maxRechargesPerMonth: z.int().min(1).max(100),
    mode: z.enum(RECHARGE_MODES).default('fixed').describe('fixed: buy rechargeCredits; to_target: buy max(minimum top-up, targetCredits − available)'),
    targetCredits: z.int().min(1).max(MAX_CREDITS).optional().describe('the balance to_target recharges to: above thresholdCredits; required with mode to_target'),
  });
}

interface RechargeFields {
  thresholdCredits: number;
  rechargeCredits?: number;
  mode: RechargeMode;
  targetCredits?: number;
}

/** fixed needs rechargeCredits; to_target needs targetCredits; a target is always above the threshold. */
function checkRechargeFields(b: RechargeFields, ctx: z.RefinementCtx): void {
  if (b.mode === 'fixed' && b.rechargeCredits === undefined) ctx.addIssue({ code: 'custom', path: ['rechargeCredits'], message: 'is required when mode is fixed' });
  if (b.mode === 'to_target' && b.targetCredits === undefined) ctx.addIssue({ code: 'custom', path: ['targetCredits'], message: 'is required when mode is to_target' });
  if (b.targetCredits !== undefined && b.targetCredits <= b.thresholdCredits) ctx.addIssue({ code: 'custom', path: ['targetCredits'], message: 'must be greater than thresholdCredits' });
}

/** PUT auto-recharge. With to_target, rechargeCredits may be left out: the saved one is kept. */
export function autoRechargeBody(minTopUpCredits: number) {
  return autoRechargeFields(minTopUpCredits).superRefine(checkRechargeFields);
}

/** The longest window a policy simulation replays. */
export const MAX_SIMULATION_WINDOW_DAYS = 366;

/** A policy simulation: the auto-recharge settings' own fields (checked alike), over an optional window. */
export function simulateBody(minTopUpCredits: number) {
  return autoRechargeFields(minTopUpCredits)
    .omit({ enabled: true })
    .extend({ from: timestamp.optional(), to: timestamp.optional() })
    .superRefine(checkRechargeFields)
    .refine((b) => b.from === undefined || b.to === undefined || Date.parse(b.from) < Date.parse(b.to), { message: 'must be before to', path: ['from'] });
}

export function usageBody(meters: readonly string[]) {
  return z.strictObject({
    events: z
      .array(
        z.strictObject({
          id: idSchema,
          agentId: idSchema,
          meter: z.enum(meters as [string, ...string[]]),
          quantity: z.int().min(1).max(1_000_000_000),
          occurredAt: timestamp.refine((value) => occurredAtAccepted(Date.parse(value), Date.now()), 'must be within the last 35 days and at most 5 minutes ahead').optional(),
        }),
      )
      .min(1)
      .max(1000),
  });
}

export function topUpBody(minTopUpCredits: number) {
  return z.strictObject({ credits: z.int().min(minTopUpCredits).max(MAX_CREDITS) });
}

export const idempotencyKeySchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"');

export const allocationBody = z.strictObject({
  basicMinutes: z.int().min(0).max(1_000_000),
  premiumMinutes: z.int().min(0).max(1_000_000),
  /** One of the agency's cards for this allocation; omitted: its default card. */
  paymentMethodId: paymentMethodIdSchema.optional(),
});

export const agentBody = z.strictObject({
  monthlyLimitCredits: z.int().min(0).max(MAX_CREDITS).nullable(),
  whenPlanExhausted: z.enum(['stop', 'use_balance']),
});

/** An organization's alerts, replaced whole: at most MAX_ALERTS, each id once. */
export const alertsBody = z.strictObject({
  alerts: z
    .array(
      z.discriminatedUnion('type', [
        z.strictObject({ id: idSchema, type: z.literal('available_below'), credits: z.int().min(0).max(MAX_CREDITS) }),
        z.strictObject({ id: idSchema, type: z.literal('plan_used_percent'), percent: z.int().min(1).max(100) }),
      ]),
    )
    .max(MAX_ALERTS)
    .refine((alerts) => new Set(alerts.map((a) => a.id)).size === alerts.length, 'ids must be unique'),
});

export const portalSessionBody = z.strictObject({
  role: z.enum(['owner', 'member']).optional(),
  /** Who the session is for, as the JWT's sub would say (logged, never trusted for access). */
  sub: z.string().min(1).max(200).regex(PRINTABLE, 'must not contain control characters').optional(),
});

export const portalCodeBody = z.strictObject({ code: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/, 'must be a portal code') });

export const paymentIntentIdSchema = z.string().regex(/^pi_[A-Za-z0-9_]{1,200}$/, 'must be a payment intent id (pi_...)');

export const sandboxAuthenticateBody = z.strictObject({ clientSecret: z.string().min(1).max(300) });

/** A UTC date from 1970 on (nothing the service records is older; PostgreSQL has no year 0). */
const day = z.iso.date().refine((value) => Date.parse(value) >= 0, 'must be 1970-01-01 or later');

/** Days are UTC dates; the range is at most a year. */
export const dailyUsageQuery = z
  .strictObject({ from: day, to: day })
  .refine((q) => q.from <= q.to, { message: 'must not be after to', path: ['from'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 366 * 86_400_000, { message: 'the range is at most 366 days', path: ['from'] });

export const orgListQuery = z.strictObject({
  autoRecharge: z.enum(AUTO_RECHARGE_STATES as [AutoRechargeState, ...AutoRechargeState[]]).optional(),
  paymentStatus: z.enum(PAYMENT_STATUSES as [PaymentStatus, ...PaymentStatus[]]).optional(),
  parentId: idSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: idSchema.optional(),
});

/** PostgreSQL's largest bigint. */
const MAX_BIGINT = 2n ** 63n - 1n;

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  // Ledger ids reach 19 digits (a sequence number times 2^20: migration 17); any bigint is a cursor.
  cursor: z
    .string()
    // abort: zod runs the next check after a failed one, and BigInt throws on what is not digits.
    .regex(/^\d{1,19}$/, { message: 'must be a cursor returned by a previous page', abort: true })
    .refine((c) => BigInt(c) <= MAX_BIGINT, 'must be a cursor returned by a previous page')
    .optional(),
});

/** A page of agents, by id: `cursor` is the last id of the previous page. */
export const agentPageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: idSchema.optional(),
});

export const webhookEndpointIdSchema = z.string().regex(/^we_[0-9a-f]{24}$/, 'must be a webhook endpoint id (we_ and 24 hex digits)');
export const deliveryIdSchema = z.string().regex(/^msg_[0-9a-f]{32}$/, 'must be a delivery id (msg_ and 32 hex digits)');

const eventTypeList = (extra: readonly string[]) =>
  z
    .array(z.enum([...EVENT_TYPES, ...extra] as [string, ...string[]]))
    .min(1)
    .max(EVENT_TYPES.length + extra.length)
    .refine((types) => new Set(types).size === types.length, 'must not repeat a type');

/** `["*"]` (every type, stored as NULL) or known types, each once. */
const webhookEventTypes = eventTypeList(['*']).refine((types) => !types.includes('*') || types.length === 1, '"*" stands alone: it means every type');

const description = z.string().trim().max(500).regex(PRINTABLE, 'must not contain control characters').nullable();

/** The URL policy depends on the deployment (WEBHOOK_ALLOW_PRIVATE_URLS), so it is part of the schema. */
function webhookUrl(allowPrivateUrls: boolean) {
  return z
    .string()
    .max(2000)
    .superRefine((url, ctx) => {
      const refusal = urlRefusal(url, allowPrivateUrls);
      if (refusal) ctx.addIssue({ code: 'custom', message: refusal });
    });
}

export function webhookEndpointBodies(allowPrivateUrls: boolean) {
  const fields = {
    url: webhookUrl(allowPrivateUrls),
    eventTypes: webhookEventTypes.optional(),
    description: description.optional(),
    includeSubAccounts: z.boolean().optional(),
  };
  return {
    create: z.strictObject(fields),
    update: z.strictObject({ ...fields, url: fields.url.optional(), enabled: z.boolean().optional() }),
  };
}

export const notificationSettingsBody = z.strictObject({
  email: z.email().max(254).nullable(),
  eventTypes: eventTypeList([]).optional(),
});

export const paymentIdSchema = z.string().regex(/^pay_[A-Za-z0-9_-]{1,200}$/, 'must be a payment id (pay_...)');

/** A page of payments, newest first: `cursor` is the last id of the previous page. */
export const paymentListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: paymentIdSchema.optional(),
  kind: z.enum(['auto_recharge', 'top_up', 'allocation']).optional(),
  status: z.enum(PAYMENT_LIST_STATUSES).optional(),
});

export const refundBody = z.strictObject({ credits: z.int().min(1).max(MAX_CREDITS).optional() });

export const sandboxRefundBody = z.strictObject({ amountCents: z.int().min(1).max(100_000_000_000).optional() });

export const sandboxDisputeOpenBody = z.strictObject({});

export const sandboxDisputeCloseBody = z.strictObject({ status: z.enum(['won', 'lost']) });

/** Every request schema of the API, built once from the settings: routes validate with these and
 * /openapi.json describes these, so the two cannot disagree. */
export function requestSchemas(minTopUpCredits: number, meters: readonly string[], allowPrivateUrls: boolean) {
  const webhookEndpoint = webhookEndpointBodies(allowPrivateUrls);
  return {
    createOrg: createOrgBody,
    subscription: subscriptionBody,
    paymentMethod: paymentMethodBody,
    autoRecharge: autoRechargeBody(minTopUpCredits),
    simulate: simulateBody(minTopUpCredits),
    usage: usageBody(meters),
    agent: agentBody,
    alerts: alertsBody,
    topUp: topUpBody(minTopUpCredits),
    allocation: allocationBody,
    portalSession: portalSessionBody,
    portalCode: portalCodeBody,
    sandboxAuthenticate: sandboxAuthenticateBody,
    paymentIntentId: paymentIntentIdSchema,
    dailyUsage: dailyUsageQuery,
    createWebhookEndpoint: webhookEndpoint.create,
    updateWebhookEndpoint: webhookEndpoint.update,
    notificationSettings: notificationSettingsBody,
    page: pageQuery,
    agentPage: agentPageQuery,
    orgList: orgListQuery,
    idempotencyKey: idempotencyKeySchema,
    id: idSchema,
    webhookEndpointId: webhookEndpointIdSchema,
    deliveryId: deliveryIdSchema,
    paymentId: paymentIdSchema,
    paymentList: paymentListQuery,
    refund: refundBody,
    sandboxRefund: sandboxRefundBody,
    sandboxDisputeOpen: sandboxDisputeOpenBody,
    sandboxDisputeClose: sandboxDisputeCloseBody,
    paymentMethodSession: paymentMethodSessionBody,
    paymentMethodId: paymentMethodIdSchema,
  };
}

export type RequestSchemas = ReturnType<typeof requestSchemas>;

/** 422 naming every field that failed, in order. */
export function parse<T extends z.ZodType>(schema: T, data: unknown, what = 'body'): z.infer<T> {
  const result = schema.safeParse(data ?? {});
  if (result.success) return result.data;
  const message = result.error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : what}: ${issue.message}`)
    .join('; ');
  throw new ApiError(422, 'validation_failed', message);
}

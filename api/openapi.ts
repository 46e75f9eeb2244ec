// GET /openapi.json, generated from the same zod schemas the routes validate with.
import { z } from 'zod';
import { SCOPES } from './caller';
import type { RequestSchemas } from './schemas';
import { grantOperations } from './grantOperations';
import { usageOperations } from './usageOperations';
import type { Operation, Role } from './openapiOperation';

const ERRORS = { 400: 'malformed request', 401: 'no valid bearer token or portal session cookie', 403: "not allowed for this caller; scope_required: the token's scope claim lacks the scope this needs", 404: 'unknown organization', 503: 'database_unavailable, or temporal_unavailable (a command Temporal did not accept within TEMPORAL_COMMAND_TIMEOUT_MS): retry after Retry-After seconds' };

export function operations(s: RequestSchemas): Operation[] {
  const org = '/v1/orgs/{org}';
  return [
    { method: 'post', path: '/v1/orgs', summary: 'Create an organization', who: ['ops for every organization (org *)'], body: s.createOrg, responses: { 201: 'the organization', 409: 'id taken', 422: 'invalid body' } },
    { method: 'get', path: '/v1/orgs', summary: 'Organizations by auto-recharge state, payment status and agency, by id', who: ['ops for every organization (org *)'], query: s.orgList, responses: { 200: '{orgs: [{id, name, parentId, createdAt, autoRecharge, paymentStatus}], nextCursor}', 422: 'invalid query' } },
    { method: 'get', path: org, summary: 'Read an organization', who: ['owner', 'member', 'agency people', 'ops'], responses: { 200: 'the organization' } },
    { method: 'put', path: `${org}/subscription`, summary: 'Set the subscription', who: ['ops'], body: s.subscription, responses: { 200: 'the subscription', 422: 'invalid body' } },
    { method: 'put', path: `${org}/payment-method`, summary: 'Save a card collected elsewhere (Stripe Elements): attach it, list it and make it the default', who: ['owner', 'ops'], body: s.paymentMethod, responses: { 200: 'the payment method', 402: 'card declined', 422: 'invalid body or payment method' } },
    { method: 'delete', path: `${org}/payment-method`, summary: 'Remove the payment method', who: ['owner', 'ops'], responses: { 204: 'removed' } },
    { method: 'put', path: `${org}/auto-recharge`, summary: 'Configure auto-recharge. mode fixed (the default) buys rechargeCredits at each recharge; to_target buys max(minimum top-up, targetCredits − available), from the balance read when the charge is decided (rechargeCredits may then be left out: the saved one is kept)', who: ['owner'], body: s.autoRecharge, responses: { 200: '{message, autoRecharge}', 409: 'subscription_required or payment_method_required', 422: 'invalid body: e.g. targetCredits not above thresholdCredits, targetCredits missing with to_target, rechargeCredits missing with fixed, an unknown mode' } },
    {
      method: 'post',
      path: `${org}/top-ups`,
      summary: 'Top up now',
      who: ['owner'],
      body: s.topUp,
      headers: { 'Idempotency-Key': s.idempotencyKey },
      responses: { 201: '{topUp, message}', 202: '{topUp} waiting for 3-D Secure', 402: 'card declined', 409: 'payment method missing, payment in flight, or key reused', 422: 'invalid body' },
    },
    { method: 'post', path: `${org}/usage`, summary: 'Report usage', who: ['service', 'ops'], scope: 'usage', body: s.usage, responses: { 202: '{accepted}: the distinct ids of the batch, once committed to PostgreSQL (ids recorded before change nothing)', 413: 'body too large', 422: 'invalid body (the whole batch is refused), e.g. an occurredAt more than 35 days back or 5 minutes ahead of the request', 503: 'database_unavailable: retry after Retry-After seconds' } },
    { method: 'get', path: `${org}/agents/{agent}/allowance`, summary: 'May this agent go on serving?', who: ['service', 'owner', 'member', 'ops'], scope: 'usage', responses: { 200: '{allowed, reason}' } },
    { method: 'put', path: `${org}/agents/{agent}`, summary: 'Configure an agent', who: ['owner'], body: s.agent, responses: { 200: 'the agent', 422: 'invalid body' } },
    { method: 'get', path: `${org}/billing`, summary: 'Billing summary: availableCredits = planCredits.remaining + grantCredits (what remains of live credit grants) + topUpCredits (the wallet); nextExpiry: {credits, at} of the soonest grant expiry, or null; agents: the 100 with the most spend this period (ties by id), agentCount: all of them', who: ['owner', 'member', 'agency people', 'ops'], responses: { 200: 'the billing summary' } },
    { method: 'get', path: `${org}/agents`, summary: "Every agent (spent this period or has settings of its own), by id, a page at a time: cursor is the previous page's nextCursor", who: ['owner', 'member', 'agency people', 'ops'], query: s.agentPage, responses: { 200: '{agents: [{id, spentThisMonth, monthlyLimitCredits, whenPlanExhausted, allowed, reason}], nextCursor}', 422: 'invalid query (limit 1-500, default 100)' } },
    {
      method: 'post',
      path: `${org}/auto-recharge/simulate`,
      summary: 'What these auto-recharge settings would have done: the ledger of the window (default the last 30 days, at most 366) replayed with them, each recharge assumed to succeed; changes nothing, charges nothing',
      who: ['owner', 'member', 'agency people', 'ops'],
      body: s.simulate,
      responses: {
        200: '{recharges, chargedCents, capReachedAt, minAvailableCredits (null: no debit in the window), finalAvailableCredits, from, to, periods: [{start, end, recharges, capReachedAt}]}; a period ends at a renewal; the first one counts only the recharges of the replay',
        422: 'invalid body: the fields as for PUT auto-recharge (without enabled; mode and targetCredits alike), from before to, ISO instants',
        503: "database_unavailable: an organization's simulations and forecasts run one at a time; retry after Retry-After seconds",
      },
    },
    {
      method: 'get',
      path: `${org}/forecast`,
      summary: 'Burn-rate forecast: usage of the trailing 7 days (or since the first usage, at least an hour) per day',
      who: ['owner', 'member', 'agency people', 'ops'],
      responses: {
        200: '{burnRateCreditsPerDay (0.1 credit), daysUntilThreshold (null: auto-recharge off or no burn), daysUntilEmpty (0: nothing available; null: no burn), projectedRechargesThisPeriod (used ones included, bounded by the cap), capReachedBeforeRenewal, basis: {from, to}}; days are rounded down to 0.1',
      },
    },
    { method: 'get', path: `${org}/usage/daily`, summary: 'Credits used per UTC day (usage ledger entries, less the events voided since: a void takes its event out of the day it was recorded on), plan, grants and wallet apart, every day of the range', who: ['owner', 'member', 'agency people', 'ops'], query: s.dailyUsage, responses: { 200: '{days: [{date, planCredits, grantCredits, walletCredits}]}', 422: 'invalid query (from and to are YYYY-MM-DD from 1970-01-01 on, at most 366 days apart)' } },
    { method: 'get', path: '/v1/price-book', summary: 'The price book: credit price, minimum top-up, meters and the allocation rates', who: ['any authenticated caller'], scope: 'any', responses: { 200: '{currency, creditPricePer1000Cents, minTopUpCredits, meters, allocationRates: {basic, premium}}' } },
    {
      method: 'post',
      path: `${org}/portal-sessions`,
      summary: 'Open the billing portal: a link with a one-time code (valid 60 s, once) that the page exchanges for a session cookie lasting PORTAL_SESSION_TTL_MS',
      who: ['owner', 'member', 'service', 'ops'],
      scope: 'portal',
      body: s.portalSession,
      responses: { 201: '{url, expiresAt}: expiresAt is when the link stops working; the session then lasts PORTAL_SESSION_TTL_MS', 403: 'not this organization, or a member asking for owner', 422: 'invalid body' },
    },
    { method: 'post', path: '/portal/session', summary: "Exchange a portal link's one-time code for an HttpOnly, SameSite=Strict session cookie", who: ['the portal page (one-time code or session cookie)'], body: s.portalCode, responses: { 201: '{org, role, stripePublishableKey (null: the sandbox)}; Set-Cookie: portal_session', 401: 'portal_link_invalid: tampered, expired or used', 422: 'malformed code' } },
    { method: 'get', path: '/portal/session', summary: "The portal session's organization and role", who: ['the portal page (one-time code or session cookie)'], responses: { 200: '{org, role, stripePublishableKey}', 401: 'portal_link_invalid: no session, or expired' } },
    { method: 'get', path: `${org}/ledger`, summary: 'Ledger entries, newest first; each {id, orgId, at, kind, pool, credits, ref, grantId}, pool `plan`, `grant` or `wallet` (grantId: the grant a `grant` entry moves, else null; kinds grant, expiry and grant_void move grants; usage_void gives back, pool by pool, what a voided usage event took, ref the event id). With Accept: text/csv the same rows as CSV (columns id, orgId, at, kind, pool, credits, ref, grantId): without limit, every entry from the cursor on; with limit, that page, the next one\'s cursor in the Next-Cursor header', who: ['owner', 'member', 'agency people', 'ops'], query: s.page, responses: { 200: '{entries, nextCursor}', 422: 'invalid query' } },
    { method: 'get', path: `${org}/events`, summary: 'Events, newest first', who: ['owner', 'member', 'agency people', 'ops'], query: s.page, responses: { 200: '{events, nextCursor}', 422: 'invalid query' } },
    { method: 'get', path: `${org}/sub-accounts`, summary: "An agency's sub-accounts", who: ['owner', 'member', 'ops'], responses: { 200: '{subAccounts}' } },
    {
      method: 'put',
      path: `${org}/sub-accounts/{sub}/auto-allocation`,
      summary: 'Monthly auto allocation to a sub-account',
      who: ['agency owner'],
      body: s.allocation,
      responses: { 200: '{estimatedMonthlyChargeCents, nextRunAt, paymentMethod}: paymentMethod is the card that will be charged (paymentMethodId, else the default; null: none)', 404: 'payment_method_not_found: paymentMethodId is not one of the agency\'s cards', 409: 'payment_method_required', 422: 'invalid body' },
    },
    ...paymentMethodOperations(s, org),
    ...notificationOperations(s, org),
    { method: 'post', path: '/v1/stripe/webhook', summary: 'Provider events', who: ['Stripe (signature)'], responses: { 200: 'received ({duplicate: true} when acted on before)', 400: 'invalid_signature, or invalid_event: signed but not an event we can use (or with figures out of bounds)', 409: 'event_in_progress: another delivery of this event is acting on it; retry later' } },
    { method: 'post', path: '/v1/sandbox/payment-intents/{id}/confirm', summary: 'Sandbox: the customer completes 3-D Secure', who: ['ops for every organization (org *)'], responses: { 200: 'confirmed; webhook delivered', 404: 'not the sandbox, or no such intent', 409: 'not waiting for authentication' } },
    { method: 'post', path: '/v1/sandbox/payment-intents/{id}/authenticate', summary: "Sandbox: the customer's browser completes 3-D Secure with the intent's client secret (as Stripe.js would)", who: ['owner', 'member', 'ops'], body: s.sandboxAuthenticate, responses: { 200: 'confirmed; webhook delivered', 404: 'not the sandbox, or no such intent with this client secret', 409: 'not waiting for authentication' } },
    ...paymentOperations(s, org),
    ...grantOperations(org),
    ...usageOperations(org),
    ...alertOperations(s, org),
    { method: 'get', path: '/healthz', summary: 'Liveness', who: ['anyone'], responses: { 200: 'alive' } },
    { method: 'get', path: '/readyz', summary: 'Readiness: PostgreSQL and Temporal answer', who: ['anyone'], responses: { 200: 'ready', 503: 'a dependency is down' } },
    { method: 'get', path: '/metrics', summary: 'Prometheus metrics (with METRICS_TOKEN set: only with it as the bearer token)', who: ['anyone'], responses: { 200: 'text exposition format', 401: 'METRICS_TOKEN is set and the bearer token is not it' } },
    { method: 'get', path: '/openapi.json', summary: 'This document', who: ['anyone'], responses: { 200: 'OpenAPI 3.1' } },
  ];
}

function paymentMethodOperations(s: RequestSchemas, org: string): Operation[] {
  const card = `${org}/payment-methods/{id}`;
  const params = { id: s.paymentMethodId };
  const noCard = { 404: "payment_method_not_found: not one of this organization's cards", 422: 'malformed id' };
  return [
    {
      method: 'post',
      path: `${org}/payment-method-sessions`,
      summary: 'A page where the customer saves a card (Stripe Checkout in setup mode; the sandbox: its own checkout at /sandbox/checkout/…, Stripe test numbers only). The card counts once the provider says so (checkout.session.completed / setup_intent.succeeded) and becomes the default; the customer is sent back to returnUrl (default: the billing portal)',
      who: ['owner', 'service', 'ops'],
      body: s.paymentMethodSession,
      responses: { 201: '{url, expiresAt}: usable once, until expiresAt (1 hour)', 422: 'invalid body: returnUrl must be an absolute http(s) URL' },
    },
    { method: 'get', path: `${org}/payment-methods`, summary: "The organization's cards, most recently added first", who: ['owner', 'member', 'agency people', 'ops'], responses: { 200: '{paymentMethods: [{id, brand, last4, expMonth, expYear, isDefault}]}; details null when the provider could not describe the card' } },
    { method: 'put', path: `${card}/default`, params, summary: 'Make a card the default: charges use it', who: ['owner', 'ops'], responses: { 200: '{paymentMethods}', ...noCard } },
    {
      method: 'delete',
      path: card,
      params,
      summary: 'Detach a card; removing the default makes the most recently added other card the default',
      who: ['owner', 'ops'],
      responses: { 204: 'removed', ...noCard, 409: 'payment_method_required: the last card while auto-recharge is on; payment_method_in_use: an allocation names it' },
    },
    ...sandboxCheckoutOperations(),
  ];
}

/** The sandbox's hosted checkout: HTML for a browser (no script), served only with the sandbox provider. */
function sandboxCheckoutOperations(): Operation[] {
  const params = { id: z.string().regex(/^cs_sandbox_[0-9a-f]{48}$/) };
  const who: Role[] = ['the customer (the session url is the proof)'];
  return [
    { method: 'get', path: '/sandbox/checkout/{id}', params, summary: 'Sandbox: the checkout page of a payment-method session (labelled Card number, Expiry, CVC; Save card; Cancel)', who, responses: { 200: 'text/html', 404: 'no such session, or not the sandbox', 410: 'expired or already used' } },
    {
      method: 'post',
      path: '/sandbox/checkout/{id}',
      params,
      summary: "Sandbox: the checkout form (application/x-www-form-urlencoded number, expiry, cvc). Only Stripe's test numbers; the number is mapped to its test card in memory, never stored or logged. Delivers signed setup_intent.succeeded and checkout.session.completed to /v1/stripe/webhook, which make the card count",
      who,
      responses: { 303: 'saved: to the returnUrl', 402: 'declined at save (4000 0000 0000 0002): the form again', 404: 'no such session, or not the sandbox', 410: 'expired or already used', 422: 'not a test number, or an expiry or CVC refused: the form again, empty' },
    },
    { method: 'get', path: '/sandbox/checkout.css', summary: "Sandbox: the checkout page's stylesheet", who: ['anyone'], responses: { 200: 'text/css' } },
  ];
}

function notificationOperations(s: RequestSchemas, org: string): Operation[] {
  const endpoints = `${org}/webhook-endpoints`;
  const endpoint = `${endpoints}/{id}`;
  const params = { id: s.webhookEndpointId, deliveryId: s.deliveryId };
  const managers: Role[] = ['owner', 'ops'];
  const readers: Role[] = ['owner', 'member', 'agency people', 'ops'];
  const noEndpoint = { 404: 'unknown organization or webhook endpoint', 422: 'malformed endpoint id' };
  return [
    { method: 'post', path: endpoints, summary: 'Add a webhook endpoint (eventTypes omitted or ["*"]: every type; includeSubAccounts: also the events of its sub-accounts, whenever it has any)', who: managers, body: s.createWebhookEndpoint, responses: { 201: 'the endpoint with its secret (shown only now and on rotation)', 409: 'endpoint_limit_reached: the organization has 20 endpoints (enabled or not) already', 422: 'invalid body, or a URL refused (not http(s), or a private address where WEBHOOK_ALLOW_PRIVATE_URLS is false)' } },
    { method: 'get', path: endpoints, summary: 'Webhook endpoints', who: readers, responses: { 200: '{endpoints}, without secrets' } },
    { method: 'patch', path: endpoint, params, summary: 'Change a webhook endpoint', who: managers, body: s.updateWebhookEndpoint, responses: { 200: 'the endpoint; enabled: true clears disabledReason', ...noEndpoint, 422: 'invalid body or endpoint id' } },
    { method: 'delete', path: endpoint, params, summary: 'Remove a webhook endpoint (its deliveries stay, without it)', who: managers, responses: { 204: 'removed', ...noEndpoint } },
    { method: 'post', path: `${endpoint}/rotate-secret`, params, summary: 'Rotate the signing secret (every secret rotated out in the last 24 h also signs, at most 10 of them)', who: managers, responses: { 200: '{secret}', ...noEndpoint, 429: 'too_many_rotations: 10 secrets rotated out in the last 24 h still sign; Retry-After says when the oldest expires' } },
    { method: 'post', path: `${endpoint}/test`, params, summary: 'Send a webhook.test event to this endpoint', who: managers, responses: { 202: '{deliveryId}', ...noEndpoint, 409: 'endpoint_disabled' } },
    { method: 'get', path: `${endpoint}/deliveries`, params, summary: "The endpoint's deliveries, newest first", who: readers, query: s.page, responses: { 200: '{deliveries, nextCursor}', ...noEndpoint, 422: 'malformed endpoint id or invalid query' } },
    {
      method: 'post',
      path: `${endpoint}/deliveries/{deliveryId}/retry`,
      params,
      summary: 'Attempt a delivery again, under the same id',
      who: managers,
      responses: { 202: '{deliveryId}', 404: 'unknown organization, endpoint or delivery of this endpoint', 409: 'endpoint_disabled, or delivery_in_progress (still pending)', 422: 'malformed endpoint or delivery id' },
    },
    { method: 'put', path: `${org}/notifications`, summary: "The owner's e-mail notifications", who: managers, body: s.notificationSettings, responses: { 200: '{email, eventTypes}', 422: 'invalid address or unknown event type' } },
    { method: 'get', path: `${org}/notifications`, summary: "The owner's e-mail notifications", who: ['owner', 'member', 'ops'], responses: { 200: '{email, eventTypes}; email null: no mail' } },
  ];
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
};

export function openApiDocument(schemas: RequestSchemas): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations(schemas)) {
    const parameters = [
      ...[...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: jsonSchema(op.params?.[name] ?? schemas.id) })),
      ...Object.entries(op.headers ?? {}).map(([name, schema]) => ({ name, in: 'header', required: true, schema: jsonSchema(schema) })),
      ...Object.entries((op.query ? jsonSchema(op.query).properties : {}) as Record<string, unknown>).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
    ];
    const authenticated = op.path.startsWith('/v1/') && op.path !== '/v1/stripe/webhook';
    const portalCookie = authenticated ? [{ portalSession: [] }] : [];
    const responses: Record<string, unknown> = {};
    const bodyErrors = op.body ? { 415: 'unsupported_media_type: the body is not sent as Content-Type: application/json' } : {};
    for (const [code, description] of Object.entries({ ...(authenticated ? ERRORS : {}), ...bodyErrors, ...op.responses })) {
      responses[code] = Number(code) >= 400 ? { description, content: { 'application/json': { schema: errorBody } } } : { description };
    }
    const scope = op.scope ?? 'billing';
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      description: `Who: ${op.who.join(', ')}.${authenticated ? ` Token scope: ${scope}.` : ''}`,
      // OpenAPI 3.1 lets a bearer requirement list the scopes it needs.
      ...(authenticated ? { security: [{ bearer: scope === 'any' ? [] : [scope] }, ...portalCookie] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Credits billing', version: '1', description: 'Prepaid credits, plan allowances, usage metering and auto-recharge.' },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT (HS256): sub, role, org, and optionally scope',
          description: `scope (space-separated, as in OAuth) limits a token to ${SCOPES.join(', ')}: usage reports usage and reads allowances, portal opens portal sessions, billing is everything else the role allows. A token without a scope claim has every right of its role.`,
        },
        // Changes (anything but GET) with the cookie also need the X-Portal: 1 header (CSRF defence).
        portalSession: { type: 'apiKey', in: 'cookie', name: 'portal_session', description: 'The billing portal session; non-GET requests also need X-Portal: 1' },
      },
    },
    paths,
  };
}

function paymentOperations(s: RequestSchemas, org: string): Operation[] {
  const payment = `${org}/payments/{id}`;
  const params = { id: s.paymentId };
  const readers: Role[] = ['owner', 'member', 'agency people', 'ops'];
  const sandbox = '/v1/sandbox/payment-intents/{id}';
  const sandboxParams = { id: s.paymentIntentId };
  return [
    {
      method: 'get',
      path: `${org}/payments`,
      summary: 'Every charge (auto-recharge, top-up, allocation), newest first; status one of pending, requires_action, succeeded, failed, refunded, partially_refunded, disputed',
      who: readers,
      query: s.paymentList,
      responses: { 200: '{payments: [{id, paymentIntentId, kind, credits, amountCents, currency, status, card: {brand, last4} | null, createdAt, settledAt, refundedCents, disputed, receiptNumber, receiptUrl, failureMessage}], nextCursor}', 422: 'invalid query, or a cursor no page gave' },
    },
    {
      method: 'get',
      path: `${payment}/receipt`,
      params,
      summary: "A successful payment's receipt: printable HTML, or a PDF with Accept: application/pdf",
      who: readers,
      responses: { 200: 'text/html or application/pdf', 404: 'payment_not_found (also another organization\'s payment) or receipt_not_found (not a successful payment)', 422: 'malformed payment id' },
    },
    {
      method: 'post',
      path: `${payment}/refunds`,
      params,
      summary: 'Refund credits of a payment (default: every credit left) through the provider, at the payment\'s own price: ceil(credits × price / 1000) cents; the credits leave the wallet (ledger kind refund, ref the refund id)',
      who: ['ops'],
      body: s.refund,
      responses: { 201: '{refund: {id, paymentId, credits, amountCents}, payment}', 404: 'payment_not_found (also another organization\'s payment)', 409: 'refund_exceeds_remaining, payment_fully_refunded, payment_disputed, payment_not_refundable, or refund_refused by the provider', 422: 'invalid body' },
    },
    { method: 'get', path: '/receipts/{org}/{id}/{signature}', params: { id: s.paymentId, signature: s.id }, summary: "A receipt by its shareable link (a payment's receiptUrl, as sent by e-mail): the signature is the permission", who: ['anyone'], responses: { 200: 'text/html or application/pdf', 404: 'receipt_not_found' } },
    { method: 'post', path: `${sandbox}/refund`, params: sandboxParams, summary: "Sandbox: a refund made in the provider's dashboard (amountCents, default the rest); delivers charge.refunded and refund.updated", who: ['ops for every organization (org *)'], body: s.sandboxRefund, responses: { 201: '{refund: {id, amountCents}, webhookDelivered}', 404: 'not the sandbox, or no such intent', 409: 'refund_refused: not succeeded, disputed, or more than is left' } },
    { method: 'post', path: `${sandbox}/dispute`, params: sandboxParams, summary: 'Sandbox: the cardholder disputes the charge; delivers charge.dispute.created', who: ['ops for every organization (org *)'], body: s.sandboxDisputeOpen, responses: { 201: '{dispute: {id, status}, webhookDelivered}', 404: 'not the sandbox, or no such intent', 409: 'dispute_not_possible: not succeeded, or disputed already' } },
    { method: 'post', path: `${sandbox}/dispute/close`, params: sandboxParams, summary: 'Sandbox: the dispute is decided; delivers charge.dispute.closed', who: ['ops for every organization (org *)'], body: s.sandboxDisputeClose, responses: { 200: '{dispute: {id, status}, webhookDelivered}', 404: 'not the sandbox, or no such intent', 409: 'dispute_not_open' } },
  ];
}

function alertOperations(s: RequestSchemas, org: string): Operation[] {
  const alert = '{id, type, credits | percent, armed, lastTriggeredAt}';
  return [
    {
      method: 'put',
      path: `${org}/alerts`,
      summary:
        "Replace the organization's alerts (at most 10, ids unique): available_below {credits} fires alert.triggered once when available credits go below credits and re-arms when they are back at or above it; plan_used_percent {percent} fires once when the plan credits used this period reach percent% of the period's plan credits and re-arms at renewal. Evaluated in the transaction of every balance change. A new alert already crossed is saved disarmed (it does not fire); one kept with the same id, type and line keeps its state",
      who: ['owner', 'ops'],
      body: s.alerts,
      responses: { 200: `{alerts: [${alert}]}`, 422: 'invalid body (more than 10 alerts, a duplicate id, percent outside 1..100, negative credits, an unknown type): nothing changes' },
    },
    { method: 'get', path: `${org}/alerts`, summary: "The organization's alerts, in the order saved; armed: it fires at its next crossing", who: ['owner', 'member', 'agency people', 'ops'], responses: { 200: `{alerts: [${alert}]}` } },
  ];
}

// Cards with Stripe: the provider's Checkout Session (setup mode), payment methods (list,
// retrieve, detach) and the customer's default as requests stripe-mock accepts; then the whole
// stack with Stripe as the provider (a local fake of its HTTP API), fed signed events in Stripe's
// shapes: checkout.session.completed and setup_intent.succeeded make the card count, once.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import express from 'express';
import type { Pool } from 'pg';
import type Stripe from 'stripe';
import { signPayload } from '../../api/stripeEvents';
import { createStripeClient, StripePaymentProvider } from '../../payments/stripe';
import { createPool } from '../../store/pool';
import { createOrg, expectStatus, summary } from '../helpers/billing';
import { freePort } from '../helpers/serviceProcess';
import { eventually, startStack, uniqueOrgId, type Stack } from '../helpers/stack';
import { findStripeMock } from './stripeMock';

describe('against stripe-mock', () => {
  let db: Pool;
  let mock: ChildProcess;
  let stripe: Stripe;
  const requests: Array<{ method: string; path: string; status: number }> = [];

  beforeAll(async () => {
    db = createPool(process.env.TEST_DATABASE_URL!);
    const port = await freePort();
    mock = spawn(findStripeMock(), ['-http-addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
    stripe = createStripeClient('sk_test_123', `http://127.0.0.1:${port}`);
    stripe.on('response', (event: { method: string; path: string; status: number }) => requests.push({ method: event.method, path: event.path, status: event.status }));
    await eventually(() => stripe.balance.retrieve(), 20_000, 100);
  });
  afterAll(async () => {
    mock.kill();
    await db.end();
  });

  test('a Checkout Session in setup mode for the customer, the cards listed, retrieved and detached, the default set', async () => {
    const provider = new StripePaymentProvider(stripe, db);
    const orgId = uniqueOrgId('mock');
    requests.length = 0;
    const session = await provider.createPaymentMethodSession(orgId, 'https://app.example.com/billing');
    expect(session.url).toMatch(/^https:\/\//);
    expect(Number.isNaN(Date.parse(session.expiresAt))).toBe(false);
    const cards = await provider.listPaymentMethods(orgId);
    expect(cards.length).toBeGreaterThan(0);
    for (const card of cards) expect(card).toEqual({ id: expect.stringMatching(/^pm_/), brand: expect.any(String), last4: expect.stringMatching(/^\d{4}$/), expMonth: expect.any(Number), expYear: expect.any(Number) });
    expect(await provider.paymentMethodDetails('pm_card_visa')).toEqual({ brand: expect.any(String), last4: expect.stringMatching(/^\d{4}$/), expMonth: expect.any(Number), expYear: expect.any(Number) });
    await provider.detachPaymentMethod('pm_card_visa');
    await provider.setDefaultPaymentMethod(orgId, 'pm_card_visa');
    await provider.setDefaultPaymentMethod(orgId, null);
    // stripe-mock's setup intents are its fixtures, never succeeded for our customer: no card.
    expect(await provider.savedPaymentMethod('seti_123')).toBeNull();
    const customer = (await db.query('SELECT customer_id FROM stripe_customers WHERE org_id = $1', [orgId])).rows[0].customer_id;
    expect(requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /v1/customers 200',
      'POST /v1/checkout/sessions 200',
      `GET /v1/payment_methods?customer=${customer}&type=card&limit=100 200`,
      'GET /v1/payment_methods/pm_card_visa 200',
      'POST /v1/payment_methods/pm_card_visa/detach 200',
      `POST /v1/customers/${customer} 200`,
      `POST /v1/customers/${customer} 200`,
      'GET /v1/setup_intents/seti_123 200',
    ]);
  });
});

describe('the stack with Stripe as the provider (a local fake of its API)', () => {
  let server: Server;
  let stack: Stack;
  const WEBHOOK_SECRET = 'whsec_cards_test';
  const checkoutCreates: Array<Record<string, unknown>> = [];
  const defaults: Array<{ customer: string; default: string }> = [];
  const detached: string[] = [];
  /** Setup intents as Stripe holds them: each saved one card for one customer. */
  const setupIntents = new Map<string, { customer: string; payment_method: string }>();

  beforeAll(async () => {
    const app = express();
    app.use(express.urlencoded({ extended: true }));
    app.post('/v1/customers', (req, res) => res.json({ id: `cus_${req.body.metadata.orgId}`, object: 'customer' }));
    app.post('/v1/customers/:id', (req, res) => {
      defaults.push({ customer: req.params.id, default: req.body.invoice_settings.default_payment_method });
      res.json({ id: req.params.id, object: 'customer' });
    });
    app.post('/v1/checkout/sessions', (req, res) => {
      checkoutCreates.push(req.body);
      res.json({ id: 'cs_test_1', object: 'checkout.session', mode: 'setup', url: 'https://checkout.stripe.com/c/pay/cs_test_1', expires_at: Number(req.body.expires_at) });
    });
    app.get('/v1/setup_intents/:id', (req, res) => {
      const saved = setupIntents.get(req.params.id);
      if (!saved) return res.status(404).json({ error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such setupintent' } });
      res.json({ id: req.params.id, object: 'setup_intent', status: 'succeeded', usage: 'off_session', ...saved });
    });
    app.get('/v1/payment_methods/:id', (req, res) =>
      res.json({ id: req.params.id, object: 'payment_method', type: 'card', card: { brand: 'mastercard', last4: '4444', exp_month: 8, exp_year: 2031, funding: 'credit', country: 'US' } }),
    );
    app.post('/v1/payment_methods/:id/detach', (req, res) => {
      detached.push(req.params.id);
      res.json({ id: req.params.id, object: 'payment_method', customer: null });
    });
    const port = await freePort();
    server = app.listen(port, '127.0.0.1');
    stack = await startStack({ STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: `http://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await stack.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function deliver(event: Record<string, unknown>) {
    const payload = JSON.stringify(event);
    return fetch(`${stack.api.url}/v1/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(payload, WEBHOOK_SECRET) }, body: payload });
  }

  /** checkout.session.completed as Stripe sends it for a setup-mode session (fields we do not read trimmed). */
  const sessionCompleted = (id: string, org: string, setupIntent: string) => ({
    id,
    object: 'event',
    api_version: '2024-06-20',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'checkout.session.completed',
    data: {
      object: {
        id: 'cs_test_1',
        object: 'checkout.session',
        mode: 'setup',
        status: 'complete',
        payment_status: 'no_payment_required',
        customer: `cus_${org}`,
        client_reference_id: org,
        metadata: { orgId: org },
        setup_intent: setupIntent,
        success_url: 'https://app.example.com/billing',
        cancel_url: 'https://app.example.com/billing',
        url: null,
      },
    },
  });

  test('a session is a setup-mode Checkout for the customer; the completed events make the card count once, as the default', async () => {
    const org = await createOrg(stack, { paymentMethodId: null });
    const session = await expectStatus(stack.http.post(`/v1/orgs/${org}/payment-method-sessions`, stack.token('owner', org), { returnUrl: 'https://app.example.com/billing' }), 201);
    expect(session.url).toBe('https://checkout.stripe.com/c/pay/cs_test_1');
    expect(Date.parse(session.expiresAt) - Date.now()).toBeGreaterThan(55 * 60_000);
    expect(checkoutCreates.at(-1)).toMatchObject({
      mode: 'setup',
      customer: `cus_${org}`,
      currency: 'usd',
      success_url: 'https://app.example.com/billing',
      cancel_url: 'https://app.example.com/billing',
      client_reference_id: org,
      metadata: { orgId: org },
      setup_intent_data: { metadata: { orgId: org } },
    });

    setupIntents.set(`seti_${org}`, { customer: `cus_${org}`, payment_method: `pm_${org.replace(/-/g, '')}` });
    const card = `pm_${org.replace(/-/g, '')}`;
    expect((await deliver(sessionCompleted(`evt_cs_${org}`, org, `seti_${org}`))).status).toBe(200);
    const setupSucceeded = {
      id: `evt_seti_${org}`,
      object: 'event',
      api_version: '2024-06-20',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      type: 'setup_intent.succeeded',
      data: { object: { id: `seti_${org}`, object: 'setup_intent', status: 'succeeded', usage: 'off_session', customer: `cus_${org}`, payment_method: card, metadata: { orgId: org } } },
    };
    expect((await deliver(setupSucceeded)).status).toBe(200);
    expect(await (await deliver(setupSucceeded)).json()).toEqual({ received: true, duplicate: true });
    const { paymentMethods } = await expectStatus(stack.http.get(`/v1/orgs/${org}/payment-methods`, stack.token('owner', org)), 200);
    expect(paymentMethods).toEqual([{ id: card, brand: 'mastercard', last4: '4444', expMonth: 8, expYear: 2031, isDefault: true }]);
    expect((await summary(stack, org)).paymentMethod).toEqual({ id: card, brand: 'mastercard', last4: '4444', expMonth: 8, expYear: 2031 });
    expect(defaults.filter((d) => d.customer === `cus_${org}`).map((d) => d.default)).toContain(card);
    const events = (await expectStatus(stack.http.get(`/v1/orgs/${org}/events`, stack.token('owner', org)), 200)).events;
    expect(events.filter((e: { type: string }) => e.type === 'payment_method.updated')).toHaveLength(1);

    // A setup intent of another customer names no card of this organization.
    const other = await createOrg(stack, { paymentMethodId: null });
    setupIntents.set(`seti_${other}`, { customer: 'cus_unknown', payment_method: 'pm_stranger' });
    expect((await deliver(sessionCompleted(`evt_cs_${other}`, other, `seti_${other}`))).status).toBe(200);
    expect((await expectStatus(stack.http.get(`/v1/orgs/${other}/payment-methods`, stack.token('owner', other)), 200)).paymentMethods).toEqual([]);

    // Removing it detaches it at Stripe and clears the customer's default.
    await expectStatus(stack.http.del(`/v1/orgs/${org}/payment-methods/${card}`, stack.token('owner', org)), 204);
    expect(detached).toContain(card);
    expect(defaults.at(-1)).toEqual({ customer: `cus_${org}`, default: '' });
    expect((await summary(stack, org)).paymentMethod).toBeNull();
  });
});

// The Stripe adapter: request shapes against stripe-mock (Stripe's OpenAPI-validating mock), and
// declines, 3-D Secure and transient errors against a local fake of Stripe's HTTP API.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import express from 'express';
import type { Pool } from 'pg';
import type Stripe from 'stripe';
import { ApplicationFailure } from '@temporalio/common';
import { chargePayment } from '../../activities/payments';
import { createPool } from '../../store/pool';
import { CARD_DECLINED } from '../../payments/provider';
import { createStripeClient, StripePaymentProvider } from '../../payments/stripe';
import { freePort } from '../helpers/serviceProcess';
import { eventually, uniqueOrgId } from '../helpers/stack';
import { findStripeMock } from './stripeMock';

let db: Pool;
beforeAll(() => {
  db = createPool(process.env.TEST_DATABASE_URL!);
});
afterAll(() => db.end());

const DAY_MS = 24 * 60 * 60 * 1000;
const startedAgo = (ms: number) => new Date(Date.now() - ms).toISOString();

const request = (orgId: string, paymentMethodId: string, idempotencyKey = `key-${orgId}`, startedAt = startedAgo(0)) => ({
  orgId,
  paymentId: `pay_${orgId}`,
  idempotencyKey,
  startedAt,
  paymentMethodId,
  amountCents: 1000,
  description: '500 credits',
});

describe('against stripe-mock', () => {
  let mock: ChildProcess;
  let stripe: Stripe;
  const statuses: number[] = [];

  beforeAll(async () => {
    const port = await freePort();
    mock = spawn(findStripeMock(), ['-http-addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
    stripe = createStripeClient('sk_test_123', `http://127.0.0.1:${port}`);
    stripe.on('response', (event: { status: number }) => statuses.push(event.status));
    await eventually(() => stripe.balance.retrieve(), 20_000, 100);
    statuses.length = 0;
  });
  afterAll(() => {
    mock.kill();
  });

  test('customer, attach, charge, retrieve and cancel are requests Stripe accepts', async () => {
    const provider = new StripePaymentProvider(stripe, db);
    const orgId = uniqueOrgId('mock');
    await provider.attachPaymentMethod(orgId, 'pm_card_visa');
    const charged = await provider.charge(request(orgId, 'pm_card_visa'));
    expect(charged.paymentIntentId).toMatch(/^pi_/);
    await provider.retrieve(charged.paymentIntentId!);
    await provider.cancel(charged.paymentIntentId!);
    expect(statuses.length).toBeGreaterThanOrEqual(5);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // The customer is created once per organization.
    const { rows } = await db.query('SELECT customer_id FROM stripe_customers WHERE org_id = $1', [orgId]);
    expect(rows).toHaveLength(1);
    await provider.charge(request(orgId, 'pm_card_visa', 'second'));
    expect((await db.query('SELECT count(*)::int AS n FROM stripe_customers WHERE org_id = $1', [orgId])).rows[0].n).toBe(1);
  });

  test('a payment charged again after its idempotency key expired searches its intents in a shape Stripe accepts', async () => {
    const provider = new StripePaymentProvider(stripe, db);
    statuses.length = 0;
    const charged = await provider.charge(request(uniqueOrgId('mock'), 'pm_card_visa', undefined, startedAgo(2 * DAY_MS)));
    // stripe-mock's search answers fixture intents whose metadata is not ours, so the charge goes on to create.
    expect(charged.paymentIntentId).toMatch(/^pi_/);
    expect(statuses.length).toBeGreaterThanOrEqual(3); // customer, search, create
    expect(statuses.every((s) => s === 200)).toBe(true);
  });
});

describe('against a local fake of Stripe', () => {
  let server: Server;
  let provider: StripePaymentProvider;
  const seen: Array<{ path: string; idempotencyKey: string | undefined; body: Record<string, string> }> = [];
  const searches: string[] = [];
  let flakyFailures = 0;

  beforeAll(async () => {
    const app = express();
    app.use(express.urlencoded({ extended: true }));
    app.post('/v1/customers', (req, res) => {
      res.json({ id: `cus_${req.body.metadata.orgId}`, object: 'customer' });
    });
    // Plays Stripe's search over the intents it made: one exists for a payment whose method is pm_made_before.
    app.get('/v1/payment_intents/search', (req, res) => {
      const query = String(req.query.query);
      searches.push(query);
      const paymentId = /^metadata\['paymentId'\]:'(.*)'$/.exec(query)?.[1];
      const made = paymentId?.endsWith('_made_before')
        ? [{ id: 'pi_existing', object: 'payment_intent', status: 'succeeded', metadata: { orgId: paymentId.slice('pay_'.length), paymentId } }]
        : [];
      res.json({ object: 'search_result', url: '/v1/payment_intents/search', has_more: false, data: made });
    });
    app.post('/v1/payment_intents', (req, res) => {
      seen.push({ path: req.path, idempotencyKey: req.header('idempotency-key'), body: req.body });
      const intent = (status: string, extra = {}) => ({ id: `pi_${req.body.payment_method}`, object: 'payment_intent', status, client_secret: `pi_${req.body.payment_method}_secret_1`, ...extra });
      switch (req.body.payment_method) {
        case 'pm_insufficient':
          return res.status(402).json({
            error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.', payment_intent: intent('requires_payment_method') },
          });
        case 'pm_3ds':
          return res.status(402).json({
            error: {
              type: 'card_error',
              code: 'authentication_required',
              message: 'This payment requires authentication.',
              payment_intent: intent('requires_payment_method', { last_payment_error: { code: 'authentication_required' } }),
            },
          });
        case 'pm_flaky':
          if (flakyFailures++ === 0) return res.status(500).json({ error: { type: 'api_error', message: 'Internal error' } });
          return res.json(intent('succeeded'));
        case 'pm_rate_limited':
          return res.status(429).json({ error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' } });
        default:
          return res.json(intent('succeeded'));
      }
    });
    const port = await freePort();
    server = app.listen(port, '127.0.0.1');
    provider = new StripePaymentProvider(createStripeClient('sk_test_fake', `http://127.0.0.1:${port}`), db);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('an off-session PaymentIntent carries the amount, the saved card, our ids and the idempotency key', async () => {
    const orgId = uniqueOrgId('fake');
    expect(await provider.charge(request(orgId, 'pm_ok'))).toEqual({ status: 'succeeded', paymentIntentId: 'pi_pm_ok' });
    expect(seen.at(-1)).toEqual({
      path: '/v1/payment_intents',
      idempotencyKey: `key-${orgId}`,
      body: expect.objectContaining({
        amount: '1000',
        currency: 'usd',
        customer: `cus_${orgId}`,
        payment_method: 'pm_ok',
        off_session: 'true',
        confirm: 'true',
        metadata: { orgId, paymentId: `pay_${orgId}` },
      }),
    });
  });

  test('a decline is an outcome with its decline code, and the activity reports it as non-retryable', async () => {
    const orgId = uniqueOrgId('fake');
    expect(await provider.charge(request(orgId, 'pm_insufficient'))).toEqual({
      status: 'failed',
      paymentIntentId: 'pi_pm_insufficient',
      declineCode: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    });
    const failure = await chargePayment(provider, { orgId, paymentId: `pay_${orgId}`, paymentMethodId: 'pm_insufficient', amountCents: 1000, credits: 500, kind: 'top_up' }).catch((e) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: CARD_DECLINED, nonRetryable: true, details: [{ declineCode: 'insufficient_funds', paymentIntentId: 'pi_pm_insufficient' }] });
  });

  test('authentication_required leaves the payment waiting for 3-D Secure with its client secret', async () => {
    expect(await provider.charge(request(uniqueOrgId('fake'), 'pm_3ds'))).toEqual({
      status: 'requires_action',
      paymentIntentId: 'pi_pm_3ds',
      clientSecret: 'pi_pm_3ds_secret_1',
    });
  });

  test('5xx and rate limits are thrown to be retried, and the retry carries the same idempotency key', async () => {
    const orgId = uniqueOrgId('fake');
    await expect(provider.charge(request(orgId, 'pm_flaky'))).rejects.toThrow('Internal error');
    expect(await provider.charge(request(orgId, 'pm_flaky'))).toEqual({ status: 'succeeded', paymentIntentId: 'pi_pm_flaky' });
    const keys = seen.filter((s) => s.body.payment_method === 'pm_flaky').map((s) => s.idempotencyKey);
    expect(keys).toEqual([`key-${orgId}`, `key-${orgId}`]);
    await expect(provider.charge(request(orgId, 'pm_rate_limited'))).rejects.toThrow('Too many requests');
  });

  test('a payment started over a day ago takes the intent already made for it instead of charging again', async () => {
    const orgId = `${uniqueOrgId('fake')}_made_before`;
    const creates = seen.length;
    expect(await provider.charge(request(orgId, 'pm_ok', undefined, startedAgo(2 * DAY_MS)))).toEqual({ status: 'succeeded', paymentIntentId: 'pi_existing' });
    expect(searches.at(-1)).toBe(`metadata['paymentId']:'pay_${orgId}'`);
    expect(seen.length).toBe(creates);
  });

  test('a payment started over a day ago with no intent yet is charged under its key', async () => {
    const orgId = uniqueOrgId('fake');
    const searched = searches.length;
    expect(await provider.charge(request(orgId, 'pm_ok', undefined, startedAgo(2 * DAY_MS)))).toEqual({ status: 'succeeded', paymentIntentId: 'pi_pm_ok' });
    expect(searches.slice(searched)).toEqual([`metadata['paymentId']:'pay_${orgId}'`]);
    expect(seen.at(-1)).toMatchObject({ idempotencyKey: `key-${orgId}`, body: expect.objectContaining({ metadata: { orgId, paymentId: `pay_${orgId}` } }) });
  });

  test('a payment started a minute ago relies on its idempotency key without searching', async () => {
    const orgId = `${uniqueOrgId('fake')}_made_before`;
    const searched = searches.length;
    expect(await provider.charge(request(orgId, 'pm_ok', undefined, startedAgo(60_000)))).toEqual({ status: 'succeeded', paymentIntentId: 'pi_pm_ok' });
    expect(searches.length).toBe(searched);
    expect(seen.at(-1)).toMatchObject({ path: '/v1/payment_intents', idempotencyKey: `key-${orgId}` });
  });

  test('a quote in a payment id is escaped in the search query', async () => {
    const orgId = uniqueOrgId('fake');
    await provider.charge({ ...request(orgId, 'pm_ok', undefined, startedAgo(2 * DAY_MS)), paymentId: `pay_${orgId}'x` });
    expect(searches.at(-1)).toBe(`metadata['paymentId']:'pay_${orgId}\\'x'`);
  });

  test('an unreachable Stripe is thrown to be retried', async () => {
    const port = await freePort();
    const offline = new StripePaymentProvider(createStripeClient('sk_test_fake', `http://127.0.0.1:${port}`), db);
    await expect(offline.charge(request(uniqueOrgId('fake'), 'pm_ok'))).rejects.toThrow();
  });
});

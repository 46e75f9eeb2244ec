// The Stripe adapter's refunds and receipts against stripe-mock (Stripe's OpenAPI-validating
// mock): the Refunds API request with our idempotency key and metadata, and the charge's receipt_url.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Pool } from 'pg';
import StripeClient from 'stripe';
import type Stripe from 'stripe';
import { ApplicationFailure } from '@temporalio/common';
import { refundPayment } from '../../activities/payments';
import { createPool } from '../../store/pool';
import { REFUND_REFUSED } from '../../payments/provider';
import { createStripeClient, StripePaymentProvider } from '../../payments/stripe';
import { freePort } from '../helpers/serviceProcess';
import { eventually } from '../helpers/stack';
import { findStripeMock } from './stripeMock';

let db: Pool;
let mock: ChildProcess;
let stripe: Stripe;
const requests: Array<{ path: string; status: number; idempotencyKey?: string }> = [];

beforeAll(async () => {
  db = createPool(process.env.TEST_DATABASE_URL!);
  const port = await freePort();
  mock = spawn(findStripeMock(), ['-http-addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
  stripe = createStripeClient('sk_test_123', `http://127.0.0.1:${port}`);
  stripe.on('response', (event: { path: string; status: number; idempotency_key?: string }) => requests.push({ path: event.path, status: event.status, idempotencyKey: event.idempotency_key }));
  await eventually(() => stripe.balance.retrieve(), 20_000, 100);
  requests.length = 0;
});
afterAll(async () => {
  mock.kill();
  await db.end();
});

test('a refund is a Refunds API request Stripe accepts, under our idempotency key', async () => {
  const provider = new StripePaymentProvider(stripe, db);
  const refund = await refundPayment(provider, { orgId: 'acme', paymentId: 'pay_abc_1', paymentIntentId: 'pi_123', amountCents: 1000, credits: 500, idempotencyKey: 'pay_abc_1-refund-1' });
  expect(refund).toEqual({ refundId: expect.stringMatching(/^re_/), amountCents: expect.any(Number), status: expect.any(String) });
  expect(requests).toEqual([{ path: '/v1/refunds', status: 200, idempotencyKey: 'pay_abc_1-refund-1' }]);
});

test("the charge's receipt_url is read from the intent's latest charge", async () => {
  const provider = new StripePaymentProvider(stripe, db);
  const url = await provider.receiptUrl('pi_123');
  expect(url === null || /^https?:\/\//.test(url)).toBe(true);
  expect(requests.at(-1)).toEqual({ path: '/v1/payment_intents/pi_123?expand[0]=latest_charge', status: 200, idempotencyKey: undefined });
});

test('a refund Stripe refuses is a non-retryable failure the workflow answers with', async () => {
  // stripe-mock accepts every well-formed refund: Stripe's refusal (as its client raises it) comes from a stand-in.
  const refusing = {
    refunds: {
      create: async () => {
        throw new StripeClient.errors.StripeInvalidRequestError({ type: 'invalid_request_error', code: 'charge_already_refunded', message: 'Charge ch_1 has already been refunded.' });
      },
    },
  } as unknown as Stripe;
  const provider = new StripePaymentProvider(refusing, db);
  const refused = refundPayment(provider, { orgId: 'acme', paymentId: 'pay_abc_2', paymentIntentId: 'pi_123', amountCents: 500, credits: 1, idempotencyKey: 'pay_abc_2-refund-1' });
  await expect(refused).rejects.toBeInstanceOf(ApplicationFailure);
  await expect(refused).rejects.toMatchObject({ type: REFUND_REFUSED, nonRetryable: true });
});

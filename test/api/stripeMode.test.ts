// With a Stripe key the sandbox's stand-in for the customer does not exist.
import { startStack, type Stack } from '../helpers/stack';
import { expectError } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ STRIPE_SECRET_KEY: 'sk_test_unused', STRIPE_WEBHOOK_SECRET: 'whsec_test', STRIPE_API_BASE: 'http://127.0.0.1:9' });
});
afterAll(() => stack.stop());

test('the sandbox confirm route answers 404 when payments go to Stripe', async () => {
  expectError(await stack.http.post('/v1/sandbox/payment-intents/pi_x/confirm', stack.token('ops')), 404, 'not_found');
});

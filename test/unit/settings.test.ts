import { loadSettings } from '../../config/settings';

test('outside development the service refuses to start without AUTH_JWT_SECRET', () => {
  expect(() => loadSettings({ NODE_ENV: 'production' })).toThrow('AUTH_JWT_SECRET must be set');
  expect(loadSettings({ NODE_ENV: 'production', AUTH_JWT_SECRET: 's3cret', STRIPE_WEBHOOK_SECRET: 'whsec_1' }).authJwtSecret).toBe('s3cret');
});

test('development runs on an embedded secret and the sandbox provider', () => {
  const settings = loadSettings({});
  expect(settings.authJwtSecret).toBeTruthy();
  expect(settings.stripe.secretKey).toBeUndefined();
  expect(settings.temporal.address).toBeUndefined();
});

test('a Stripe key, or production, without a webhook secret is refused (the sandbox secret is public)', () => {
  expect(() => loadSettings({ STRIPE_SECRET_KEY: 'sk_test_1' })).toThrow('STRIPE_WEBHOOK_SECRET');
  expect(() => loadSettings({ NODE_ENV: 'production', AUTH_JWT_SECRET: 's3cret' })).toThrow('STRIPE_WEBHOOK_SECRET');
});

test('numeric settings must be non-negative integers', () => {
  expect(() => loadSettings({ AUTO_RECHARGE_RETRY_DELAY_MS: '1.5' })).toThrow('AUTO_RECHARGE_RETRY_DELAY_MS');
  expect(loadSettings({ AUTO_RECHARGE_RETRY_DELAY_MS: '2500' }).rules.retryDelayMs).toBe(2500);
});

test('a charge attempt times out after 10 s by default: a worker dying mid-charge holds the payment that long at most, and the retry keeps the idempotency key', () => {
  expect(loadSettings({}).rules.chargeTimeoutMs).toBe(10_000);
  expect(loadSettings({ CHARGE_TIMEOUT_MS: '30000' }).rules.chargeTimeoutMs).toBe(30_000);
});

test("the worker's workflow cache is the SDK's unless WORKER_MAX_CACHED_WORKFLOWS says how many runs", () => {
  expect(loadSettings({}).temporal.maxCachedWorkflows).toBeUndefined();
  expect(loadSettings({ WORKER_MAX_CACHED_WORKFLOWS: '500' }).temporal.maxCachedWorkflows).toBe(500);
  expect(() => loadSettings({ WORKER_MAX_CACHED_WORKFLOWS: 'many' })).toThrow('WORKER_MAX_CACHED_WORKFLOWS');
});

test('usage may be voided for 35 days after it occurred unless USAGE_CORRECTION_WINDOW_DAYS says otherwise', () => {
  expect(loadSettings({}).usageCorrectionWindowDays).toBe(35);
  expect(loadSettings({ USAGE_CORRECTION_WINDOW_DAYS: '7' }).usageCorrectionWindowDays).toBe(7);
  expect(() => loadSettings({ USAGE_CORRECTION_WINDOW_DAYS: '0' })).toThrow('USAGE_CORRECTION_WINDOW_DAYS');
});

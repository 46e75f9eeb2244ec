// /openapi.json describes exactly the routes the service serves, with the schemas it validates
// with; /metrics speaks Prometheus, to the holder of METRICS_TOKEN when set; the API listens on
// loopback unless HOST says otherwise; every response carries a request id.
import type { Express } from 'express';
import { startApi } from '../../api/server';
import { loadSettings } from '../../config/settings';
import { EVENT_TYPES } from '../../domain/eventTypes';
import { createOrg, enableAutoRecharge, expectStatus, messages, postUsage, settled } from '../helpers/billing';
import { startStack, testEnv, type Stack } from '../helpers/stack';

let stack: Stack;
const METRICS_TOKEN = 'metrics-token-for-tests';
beforeAll(async () => {
  stack = await startStack({ METRICS_TOKEN });
});
afterAll(() => stack.stop());

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every method and path the Express app routes, as OpenAPI writes paths. */
function servedOperations(app: Express): string[] {
  const found: string[] = [];
  const walk = (layers: Layer[]) => {
    for (const layer of layers) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) found.push(`${method} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found.sort();
}

test('the OpenAPI document lists exactly the operations the app serves', async () => {
  const doc = await expectStatus(stack.http.get('/openapi.json'), 200);
  expect(doc.openapi).toBe('3.1.0');
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`))
    .sort();
  expect(documented).toEqual(servedOperations(stack.api.app));
});

test('request schemas in the document are the ones the routes enforce', async () => {
  const doc = await expectStatus(stack.http.get('/openapi.json'), 200);
  const usage = doc.paths['/v1/orgs/{org}/usage'].post.requestBody.content['application/json'].schema;
  expect(usage.properties.events).toMatchObject({ minItems: 1, maxItems: 1000 });
  expect(usage.properties.events.items.properties.meter.enum.sort()).toEqual(Object.keys(stack.settings.priceBook.meters).sort());
  expect(usage.properties.events.items.additionalProperties).toBe(false);
  const autoRecharge = doc.paths['/v1/orgs/{org}/auto-recharge'].put.requestBody.content['application/json'].schema;
  // rechargeCredits is required with mode fixed (the default), targetCredits with to_target.
  expect(autoRecharge.required.sort()).toEqual(['enabled', 'maxRechargesPerMonth', 'thresholdCredits']);
  expect(autoRecharge.properties.rechargeCredits.minimum).toBe(stack.settings.rules.minTopUpCredits);
  expect(autoRecharge.properties.rechargeCredits.description).toContain('required with mode fixed');
  expect(autoRecharge.properties.targetCredits).toMatchObject({ type: 'integer', maximum: 1_000_000_000, description: expect.stringContaining('required with mode to_target') });
  expect(autoRecharge.properties.mode).toMatchObject({ enum: ['fixed', 'to_target'], default: 'fixed' });
  expect(autoRecharge.properties.maxRechargesPerMonth).toMatchObject({ minimum: 1, maximum: 100 });
  const topUp = doc.paths['/v1/orgs/{org}/top-ups'].post;
  expect(topUp.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }));
});

test('the notification routes describe their bodies and their path ids', async () => {
  const doc = await expectStatus(stack.http.get('/openapi.json'), 200);
  const create = doc.paths['/v1/orgs/{org}/webhook-endpoints'].post.requestBody.content['application/json'].schema;
  expect(create.required).toEqual(['url']);
  expect(create.additionalProperties).toBe(false);
  expect(create.properties.eventTypes.items.enum.sort()).toEqual([...EVENT_TYPES, '*'].sort());
  const update = doc.paths['/v1/orgs/{org}/webhook-endpoints/{id}'].patch;
  expect(update.requestBody.content['application/json'].schema.required ?? []).toEqual([]);
  expect(update.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path', schema: expect.objectContaining({ pattern: '^we_[0-9a-f]{24}$' }) }));
  const retry = doc.paths['/v1/orgs/{org}/webhook-endpoints/{id}/deliveries/{deliveryId}/retry'].post;
  expect(retry.parameters).toContainEqual(expect.objectContaining({ name: 'deliveryId', schema: expect.objectContaining({ pattern: '^msg_[0-9a-f]{32}$' }) }));
  const email = doc.paths['/v1/orgs/{org}/notifications'].put.requestBody.content['application/json'].schema;
  expect(email.required).toEqual(['email']);
  expect(email.properties.email.anyOf).toContainEqual(expect.objectContaining({ format: 'email' }));
});

test('metrics count accepted usage, threshold signals, payments by outcome and request latency by route', async () => {
  const orgId = await createOrg(stack, { planCredits: 10 });
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 5, rechargeCredits: 500, maxRechargesPerMonth: 3 });
  await postUsage(stack, orgId, messages(7));
  await settled(stack, orgId, (s) => s.autoRecharge.rechargesUsedThisMonth === 1);
  const res = await fetch(`${stack.api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.headers.get('content-type')).toContain('text/plain');
  const text = await res.text();
  expect(Number(/^billing_usage_events_accepted_total (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(7);
  expect(text).toMatch(/^billing_threshold_signals_total\{outcome="sent"\} [1-9]/m);
  expect(text).toMatch(/^billing_payments_total\{kind="auto_recharge",outcome="succeeded"\} [1-9]/m);
  expect(text).toMatch(/^billing_payment_duration_seconds_count\{kind="auto_recharge"\} [1-9]/m);
  expect(text).toMatch(/^billing_http_request_duration_seconds_count\{[^}]*route="\/v1\/orgs\/:org\/usage"[^}]*status="202"[^}]*\} [1-9]/m);
});

test('with METRICS_TOKEN set, /metrics answers only with it as the bearer token', async () => {
  for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${METRICS_TOKEN}x` }, { authorization: METRICS_TOKEN }]) {
    const res = await fetch(`${stack.api.url}/metrics`, { headers });
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(JSON.stringify(body)).not.toContain('billing_');
  }
  expect((await fetch(`${stack.api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
});

test('the API listens on loopback unless HOST says otherwise', async () => {
  expect(stack.api.server.address()).toMatchObject({ address: '127.0.0.1' });
  const settings = loadSettings(testEnv({ HOST: '0.0.0.0' }));
  const everywhere = await startApi(settings, stack.db, settings.temporal.address!, 0);
  try {
    expect(everywhere.server.address()).toMatchObject({ address: '0.0.0.0' });
    expect((await fetch(`${everywhere.url}/healthz`)).status).toBe(200);
  } finally {
    await everywhere.close();
  }
});

test('every response carries a request id, the caller\'s own when it sends one', async () => {
  const made = await fetch(`${stack.api.url}/healthz`);
  expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  const echoed = await fetch(`${stack.api.url}/v1/orgs/nope/billing`, { headers: { 'x-request-id': 'trace-123' } });
  expect(echoed.status).toBe(401);
  expect(echoed.headers.get('x-request-id')).toBe('trace-123');
});

// Request validation (spec §10): 422 validation_failed and nothing changes; 400 malformed JSON; 413; 404.
import { createOrg, eventsOf, expectStatus, messages, summary } from '../helpers/billing';
import { startStack, uniqueOrgId, type Stack } from '../helpers/stack';
import { expectError } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const valid = { enabled: true, thresholdCredits: 100, rechargeCredits: 500, maxRechargesPerMonth: 3 };
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const inOneDay = () => new Date(Date.now() + 86_400_000).toISOString();

async function ledgerRefs(orgId: string): Promise<string[]> {
  const body = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/ledger?limit=500`, stack.token('ops')), 200);
  return body.entries.map((e: { ref: string }) => e.ref);
}

describe('auto-recharge settings', () => {
  const { enabled: _e, ...withoutEnabled } = valid;
  const { maxRechargesPerMonth: _m, ...withoutCap } = valid;
  test.each([
    ['rechargeCredits below the 500 minimum', { ...valid, rechargeCredits: 499 }],
    ['maxRechargesPerMonth 0', { ...valid, maxRechargesPerMonth: 0 }],
    ['maxRechargesPerMonth 101', { ...valid, maxRechargesPerMonth: 101 }],
    ['negative thresholdCredits', { ...valid, thresholdCredits: -1 }],
    ['non-integer thresholdCredits', { ...valid, thresholdCredits: 1.5 }],
    ['thresholdCredits as a string', { ...valid, thresholdCredits: '100' }],
    ['enabled as a string', { ...valid, enabled: 'true' }],
    ['no enabled', withoutEnabled],
    ['no maxRechargesPerMonth', withoutCap],
    ['an empty body', {}],
    ['an unknown extra field', { ...valid, extra: 1 }],
    ['an array body', [valid]],
  ])('%s is 422 and changes nothing', async (_name, body) => {
    const orgId = await createOrg(stack);
    const owner = stack.token('owner', orgId);
    const before = await summary(stack, orgId);
    expectError(await stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, owner, body), 422, 'validation_failed');
    expect(await summary(stack, orgId)).toEqual(before);
    expect((await eventsOf(stack, orgId)).filter((e) => e.type === 'settings.updated')).toEqual([]);
  });

  test('the bounds themselves are accepted', async () => {
    const orgId = await createOrg(stack);
    const owner = stack.token('owner', orgId);
    for (const body of [
      { ...valid, thresholdCredits: 0, rechargeCredits: 500, maxRechargesPerMonth: 1 },
      { ...valid, maxRechargesPerMonth: 100 },
    ]) {
      await expectStatus(stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, owner, body), 200);
      expect((await summary(stack, orgId)).autoRecharge).toMatchObject(body);
    }
  });
});

describe('usage', () => {
  const good = () => ({ id: `ok-${Math.random().toString(36).slice(2)}`, agentId: 'agent-1', meter: 'message', quantity: 1 });
  test.each([
    ['an empty batch', () => ({ events: [] })],
    ['a batch of 1001 events', () => ({ events: messages(1001) })],
    ['no events field', () => ({})],
    ['events that are not an array', () => ({ events: good() })],
    ['an unknown meter', () => ({ events: [{ ...good(), meter: 'call.video' }] })],
    ['quantity 0', () => ({ events: [{ ...good(), quantity: 0 }] })],
    ['quantity -1', () => ({ events: [{ ...good(), quantity: -1 }] })],
    ['quantity 1.5', () => ({ events: [{ ...good(), quantity: 1.5 }] })],
    ['quantity as a string', () => ({ events: [{ ...good(), quantity: '1' }] })],
    ['an id with a space', () => ({ events: [{ ...good(), id: 'bad id' }] })],
    ['an id with a slash', () => ({ events: [{ ...good(), id: 'bad/id' }] })],
    ['an empty id', () => ({ events: [{ ...good(), id: '' }] })],
    ['an id of 129 characters', () => ({ events: [{ ...good(), id: 'a'.repeat(129) }] })],
    ['an agentId with bad characters', () => ({ events: [{ ...good(), agentId: 'agent#1' }] })],
    ['no agentId', () => ({ events: [{ id: 'x1', meter: 'message', quantity: 1 }] })],
    ['an unknown field in an event', () => ({ events: [{ ...good(), price: 0 }] })],
    ['an occurredAt that is not a timestamp', () => ({ events: [{ ...good(), occurredAt: 'yesterday' }] })],
    ['one bad event among good ones', () => ({ events: [good(), good(), { ...good(), quantity: 0 }, good()] })],
    ['an occurredAt in year 0', () => ({ events: [{ ...good(), occurredAt: '0000-01-01T00:00:00Z' }] })],
    ['an occurredAt past year 9999 in UTC', () => ({ events: [{ ...good(), occurredAt: '9999-12-31T23:00:00-05:00' }] })],
    ['an occurredAt 36 days ago', () => ({ events: [{ ...good(), occurredAt: new Date(Date.now() - 36 * DAY_MS).toISOString() }] })],
    ['an occurredAt 10 minutes ahead', () => ({ events: [{ ...good(), occurredAt: new Date(Date.now() + 10 * MINUTE_MS).toISOString() }] })],
    ['one event of year 0 among good ones', () => ({ events: [good(), { ...good(), occurredAt: '0000-01-01T00:00:00Z' }, good()] })],
  ])('%s is 422 and no event of the batch is applied', async (_name, body) => {
    const orgId = await createOrg(stack, { planCredits: 10_000, paymentMethodId: null });
    const refsBefore = await ledgerRefs(orgId);
    const request = body();
    expectError(await stack.http.post(`/v1/orgs/${orgId}/usage`, stack.token('service'), request), 422, 'validation_failed');
    // A later good event is applied and read back; none of the refused batch is.
    await expectStatus(stack.http.post(`/v1/orgs/${orgId}/usage`, stack.token('service'), { events: [{ id: 'marker', agentId: 'm', meter: 'message', quantity: 1 }] }), 202);
    const s = await summary(stack, orgId);
    expect(s.availableCredits).toBe(9_999);
    expect(s.agents.map((a) => a.id)).toEqual(['m']);
    expect(await ledgerRefs(orgId)).toEqual(['marker', ...refsBefore]);
  });

  test('occurredAt within the window (35 days back, 5 minutes ahead) is accepted and recorded as sent', async () => {
    const orgId = await createOrg(stack, { planCredits: 10_000, paymentMethodId: null });
    const late = new Date(Date.now() - 34 * DAY_MS).toISOString();
    const early = new Date(Date.now() + 4 * MINUTE_MS).toISOString();
    const events = [
      { ...good(), id: 'late', occurredAt: late },
      { ...good(), id: 'early', occurredAt: early },
    ];
    expect(await expectStatus(stack.http.post(`/v1/orgs/${orgId}/usage`, stack.token('service'), { events }), 202)).toEqual({ accepted: 2 });
    const { rows } = await stack.db.query<{ id: string; occurred_at: Date }>('SELECT id, occurred_at FROM usage_events WHERE org_id = $1 ORDER BY id', [orgId]);
    expect(rows.map((r) => [r.id, r.occurred_at.toISOString()])).toEqual([['early', early], ['late', late]]);
  });

  test('ids of 128 characters and batches of 1000 events are accepted', async () => {
    const orgId = await createOrg(stack, { planCredits: 10_000, paymentMethodId: null });
    const longId = `a${'b'.repeat(127)}`;
    const res = await stack.http.post(`/v1/orgs/${orgId}/usage`, stack.token('service'), { events: [{ id: longId, agentId: 'a', meter: 'message', quantity: 1 }] });
    expect(res).toEqual({ status: 202, body: { accepted: 1 } });
    expect(await expectStatus(stack.http.post(`/v1/orgs/${orgId}/usage`, stack.token('service'), { events: messages(1000) }), 202)).toEqual({ accepted: 1000 });
    expect((await summary(stack, orgId)).availableCredits).toBe(10_000 - 1001);
  });
});

describe('subscription', () => {
  test.each([
    ['currentPeriodEnd in the past', { status: 'active', planCredits: 100, currentPeriodEnd: new Date(Date.now() - 60_000).toISOString() }],
    ['currentPeriodEnd that is not a timestamp', { status: 'active', planCredits: 100, currentPeriodEnd: 'next month' }],
    ['an unknown status', { status: 'trialing', planCredits: 100, currentPeriodEnd: inOneDay() }],
    ['negative planCredits', { status: 'active', planCredits: -1, currentPeriodEnd: inOneDay() }],
    ['fractional planCredits', { status: 'active', planCredits: 1.5, currentPeriodEnd: inOneDay() }],
  ])('%s is 422 and changes nothing', async (_name, body) => {
    const orgId = await createOrg(stack, { planCredits: 1000 });
    const before = await summary(stack, orgId);
    expectError(await stack.http.put(`/v1/orgs/${orgId}/subscription`, stack.token('ops'), body), 422, 'validation_failed');
    expect(await summary(stack, orgId)).toEqual(before);
  });
});

describe('daily usage', () => {
  test.each([
    ['from in year 0', 'from=0000-01-01&to=0000-12-31'],
    ['from before 1970', 'from=1969-12-31&to=1970-01-31'],
  ])('%s is 422', async (_name, query) => {
    const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
    const res = await stack.http.get(`/v1/orgs/${orgId}/usage/daily?${query}`, stack.token('ops'));
    expectError(res, 422, 'validation_failed');
    expect(res.body.error.message).toMatch(/^from: /);
  });

  test('the first days of 1970 are a range like any other', async () => {
    const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
    const body = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/usage/daily?from=1970-01-01&to=1970-01-02`, stack.token('ops')), 200);
    expect(body.days).toEqual([
      { date: '1970-01-01', planCredits: 0, grantCredits: 0, walletCredits: 0 },
      { date: '1970-01-02', planCredits: 0, grantCredits: 0, walletCredits: 0 },
    ]);
  });
});

test('a sandbox payment intent id with a NUL byte is 422 naming id, for confirm and authenticate', async () => {
  for (const [path, token, body] of [
    ['/v1/sandbox/payment-intents/pi_x%00/confirm', stack.token('ops'), undefined],
    ['/v1/sandbox/payment-intents/pi_x%00/authenticate', stack.token('owner', 'any'), { clientSecret: 'pi_x_secret_0' }],
  ] as const) {
    const res = await stack.http.post(path, token, body);
    expectError(res, 422, 'validation_failed');
    expect(res.body.error.message).toMatch(/^id: /);
  }
});

test('a payment method id that is not pm_... is 422', async () => {
  const orgId = await createOrg(stack);
  expectError(await stack.http.put(`/v1/orgs/${orgId}/payment-method`, stack.token('owner', orgId), { paymentMethodId: 'card_123' }), 422, 'validation_failed');
  expect((await summary(stack, orgId)).paymentMethod).toEqual({ id: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034 });
});

test('malformed JSON is 400 malformed_json', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  const before = await summary(stack, orgId);
  expectError(await stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, stack.token('owner', orgId), '{"enabled": tru'), 400, 'malformed_json');
  expectError(await stack.http.post(`/v1/orgs/${orgId}/usage`, stack.token('service'), '{"events": [}'), 400, 'malformed_json');
  expectError(await stack.http.post('/v1/orgs', stack.token('ops'), "{'id': 'single-quoted'}"), 400, 'malformed_json');
  expectError(await stack.http.request('PATCH', `/v1/orgs/${orgId}/webhook-endpoints/we_000000000000000000000000`, stack.token('ops'), '{"enabled": fals'), 400, 'malformed_json');
  expectError(await stack.http.put(`/v1/orgs/${orgId}/notifications`, stack.token('ops'), '{"email": '), 400, 'malformed_json');
  expect(await summary(stack, orgId)).toEqual(before);
  expect(await expectStatus(stack.http.get(`/v1/orgs/${orgId}/notifications`, stack.token('ops')), 200)).toMatchObject({ email: null });
});

test('a body over 1 MB is 413 payload_too_large', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  const body = { events: [{ id: 'big', agentId: 'a', meter: 'message', quantity: 1 }], pad: 'x'.repeat(1_100_000) };
  expectError(await stack.http.post(`/v1/orgs/${orgId}/usage`, stack.token('service'), body), 413, 'payload_too_large');
  expect((await summary(stack, orgId)).availableCredits).toBe(1000);
});

test('an unknown route is 404 not_found', async () => {
  const orgId = await createOrg(stack);
  expectError(await stack.http.get('/v1/nothing-here', stack.token('ops')), 404, 'not_found');
  expectError(await stack.http.get(`/v1/orgs/${orgId}/nothing-here`, stack.token('ops')), 404, 'not_found');
  expectError(await stack.http.del(`/v1/orgs/${orgId}/billing`, stack.token('ops')), 404, 'not_found');
  expectError(await stack.http.get('/nothing-here'), 404, 'not_found');
});

describe('ids and names', () => {
  test.each([
    ['a NUL byte', 'acme%00'],
    ['only a NUL byte', '%00'],
    ['an escape character', 'acme%1B'],
    ['a space', 'acme%20corp'],
    ['129 characters', 'a'.repeat(129)],
  ])('an org id in the path with %s is 422 naming org, for every route', async (_name, id) => {
    const ops = stack.token('ops');
    for (const [method, path] of [
      ['GET', `/v1/orgs/${id}`],
      ['GET', `/v1/orgs/${id}/billing`],
      ['GET', `/v1/orgs/${id}/ledger`],
      ['POST', `/v1/orgs/${id}/usage`],
      ['PUT', `/v1/orgs/${id}/auto-recharge`],
      ['GET', `/v1/orgs/${id}/agents/a/allowance`],
      ['POST', `/v1/orgs/${id}/webhook-endpoints`],
      ['GET', `/v1/orgs/${id}/webhook-endpoints/we_000000000000000000000000/deliveries`],
      ['PUT', `/v1/orgs/${id}/notifications`],
    ] as const) {
      const res = await stack.http.request(method, path, ops, method === 'GET' ? undefined : {});
      expectError(res, 422, 'validation_failed');
      expect(res.body.error.message).toMatch(/^org: /);
    }
  });

  test('a sub-account id in the path with a NUL byte is 422 naming sub', async () => {
    const agency = await createOrg(stack);
    const res = await stack.http.put(`/v1/orgs/${agency}/sub-accounts/sub%00/auto-allocation`, stack.token('owner', agency), { basicMinutes: 1, premiumMinutes: 0 });
    expectError(res, 422, 'validation_failed');
    expect(res.body.error.message).toMatch(/^sub: /);
  });

  test.each([
    ['a NUL byte', 'Acme\u0000'],
    ['an escape character', 'Acme \u001b[31mred'],
    ['a newline', 'Acme\nCorp'],
    ['a DEL character', 'Acme\u007f'],
  ])('an organization name with %s is 422 and creates nothing', async (_name, name) => {
    const id = uniqueOrgId('ctl');
    const res = await stack.http.post('/v1/orgs', stack.token('ops'), { id, name });
    expectError(res, 422, 'validation_failed');
    expect(res.body.error.message).toMatch(/^name: /);
    expectError(await stack.http.get(`/v1/orgs/${id}`, stack.token('ops')), 404, 'organization_not_found');
    await expect(stack.client.workflow.getHandle(`billing-org-${id}`).describe()).rejects.toThrow();
  });

  test('a name with letters of any script is accepted', async () => {
    const id = uniqueOrgId('intl');
    expect(await expectStatus(stack.http.post('/v1/orgs', stack.token('ops'), { id, name: 'Zahnärzte Köln – 歯科' }), 201)).toMatchObject({ name: 'Zahnärzte Köln – 歯科' });
  });
});

describe('media types', () => {
  test.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['no content type', undefined],
  ])('a JSON body sent as %s is 415 unsupported_media_type and changes nothing', async (_name, contentType) => {
    const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
    const body = JSON.stringify({ events: [{ id: 'typed', agentId: 'a', meter: 'message', quantity: 1 }] });
    const res = await fetch(`${stack.api.url}/v1/orgs/${orgId}/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token('service')}`, ...(contentType ? { 'content-type': contentType } : {}) },
      body: contentType ? body : new Blob([body]), // a Blob without a type sends no Content-Type
    });
    expectError({ status: res.status, body: await res.json() }, 415, 'unsupported_media_type', 'The request body must be JSON, sent with Content-Type: application/json.');
    expect((await summary(stack, orgId)).availableCredits).toBe(1000);
  });

  test('JSON with a charset, and requests without a body, are accepted', async () => {
    const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
    const res = await fetch(`${stack.api.url}/v1/orgs/${orgId}/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token('service')}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ events: [{ id: 'charset', agentId: 'a', meter: 'message', quantity: 1 }] }),
    });
    expect(res.status).toBe(202);
    expect((await stack.http.del(`/v1/orgs/${orgId}/payment-method`, stack.token('ops'))).status).toBe(204);
    expectError(await stack.http.post('/v1/sandbox/payment-intents/pi_none/confirm', stack.token('ops')), 404, 'payment_intent_not_found');
  });

  test('a charset JSON cannot be read in is 415', async () => {
    const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
    const res = await fetch(`${stack.api.url}/v1/orgs/${orgId}/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token('service')}`, 'content-type': 'application/json; charset=latin1' },
      body: JSON.stringify({ events: [{ id: 'latin', agentId: 'a', meter: 'message', quantity: 1 }] }),
    });
    expectError({ status: res.status, body: await res.json() }, 415, 'unsupported_media_type');
  });
});

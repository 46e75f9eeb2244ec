// Who may do what for which organization (spec §7, §10): own org, agency over sub-accounts, service, ops.
import { signToken } from '../../api/auth';
import { createOrg, eventsOf, expectStatus, messages, summary } from '../helpers/billing';
import { startStack, uniqueOrgId, type Stack } from '../helpers/stack';
import { expectError } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const AGENCY_READ_ONLY = 'Agencies can monitor sub-accounts but cannot manage their auto-recharge.';
const settingsBody = { enabled: true, thresholdCredits: 100, rechargeCredits: 500, maxRechargesPerMonth: 3 };
const subscriptionBody = () => ({ status: 'active', planCredits: 2000, currentPeriodEnd: new Date(Date.now() + 86_400_000).toISOString() });

test("an owner cannot read another organization's billing, ledger, events or org, and cannot tell whether it exists", async () => {
  const a = await createOrg(stack);
  const b = await createOrg(stack);
  const missing = uniqueOrgId('missing');
  const ownerA = stack.token('owner', a);
  for (const suffix of ['/billing', '/ledger', '/events', '']) {
    const existing = await stack.http.get(`/v1/orgs/${b}${suffix}`, ownerA);
    expectError(existing, 403, 'forbidden');
    const absent = await stack.http.get(`/v1/orgs/${missing}${suffix}`, ownerA);
    expect(absent).toEqual(existing);
  }
  expect((await stack.http.get(`/v1/orgs/${a}/billing`, ownerA)).status).toBe(200);
});

test("an owner cannot change another organization's payment method or auto-recharge", async () => {
  const a = await createOrg(stack);
  const b = await createOrg(stack);
  const ownerA = stack.token('owner', a);
  const before = await summary(stack, b);
  expectError(await stack.http.put(`/v1/orgs/${b}/payment-method`, ownerA, { paymentMethodId: 'pm_card_chargeDeclined' }), 403, 'forbidden');
  expectError(await stack.http.del(`/v1/orgs/${b}/payment-method`, ownerA), 403, 'forbidden');
  expectError(await stack.http.put(`/v1/orgs/${b}/auto-recharge`, ownerA, settingsBody), 403, 'forbidden');
  expect(await summary(stack, b)).toEqual(before);
});

test('a member can read its own billing, ledger and events but cannot change the payment method', async () => {
  const orgId = await createOrg(stack);
  const member = stack.token('member', orgId);
  for (const suffix of ['/billing', '/ledger', '/events', '']) {
    expect((await stack.http.get(`/v1/orgs/${orgId}${suffix}`, member)).status).toBe(200);
  }
  expectError(await stack.http.put(`/v1/orgs/${orgId}/payment-method`, member, { paymentMethodId: 'pm_card_chargeDeclined' }), 403, 'forbidden');
  expectError(await stack.http.del(`/v1/orgs/${orgId}/payment-method`, member), 403, 'forbidden');
  expect((await summary(stack, orgId)).paymentMethod).toEqual({ id: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034 });
});

test('the owner and ops may set and remove the payment method', async () => {
  const orgId = await createOrg(stack, { paymentMethodId: null });
  const owner = stack.token('owner', orgId);
  expect(await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' }), 200)).toEqual({
    paymentMethod: { id: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034 },
  });
  expect((await summary(stack, orgId)).paymentMethod).toEqual({ id: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034 });
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, stack.token('ops'), { paymentMethodId: 'pm_card_chargeDeclined' }), 200);
  expect((await summary(stack, orgId)).paymentMethod).toEqual({ id: 'pm_card_chargeDeclined', brand: 'visa', last4: '0002', expMonth: 12, expYear: 2034 });
  await expectStatus(stack.http.del(`/v1/orgs/${orgId}/payment-method`, stack.token('ops')), 204);
  expect((await summary(stack, orgId)).paymentMethod).toBeNull();
});

test('a service can report usage and read allowance but cannot read billing, ledger or events', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  const service = stack.token('service');
  expect(await expectStatus(stack.http.post(`/v1/orgs/${orgId}/usage`, service, { events: messages(2) }), 202)).toEqual({ accepted: 2 });
  expect(await expectStatus(stack.http.get(`/v1/orgs/${orgId}/agents/agent-1/allowance`, service), 200)).toEqual({ allowed: true, reason: null });
  for (const suffix of ['/billing', '/ledger', '/events']) {
    expectError(await stack.http.get(`/v1/orgs/${orgId}${suffix}`, service), 403, 'forbidden');
  }
  expect((await summary(stack, orgId)).availableCredits).toBe(998);
});

test('a usage-scoped service token reports usage and reads allowance; everything else is 403 scope_required and changes nothing', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  const reporter = signToken({ sub: 'agent-runner', role: 'service', org: orgId, scope: 'usage' }, stack.settings.authJwtSecret);
  expect(await expectStatus(stack.http.post(`/v1/orgs/${orgId}/usage`, reporter, { events: messages(2) }), 202)).toEqual({ accepted: 2 });
  expect(await expectStatus(stack.http.get(`/v1/orgs/${orgId}/agents/agent-1/allowance`, reporter), 200)).toEqual({ allowed: true, reason: null });
  const before = await summary(stack, orgId);
  for (const [res, needed] of [
    [await stack.http.get(`/v1/orgs/${orgId}/billing`, reporter), 'billing'],
    [await stack.http.post(`/v1/orgs/${orgId}/portal-sessions`, reporter, { role: 'owner' }), 'portal'],
    [await stack.http.post(`/v1/orgs/${orgId}/top-ups`, reporter, { credits: 1_000_000_000 }, { 'Idempotency-Key': 'scope-test' }), 'billing'],
    [await stack.http.post(`/v1/orgs/${orgId}/webhook-endpoints`, reporter, { url: 'https://example.com/hooks' }), 'billing'],
    [await stack.http.del(`/v1/orgs/${orgId}/payment-method`, reporter), 'billing'],
  ] as const) {
    expectError(res, 403, 'scope_required', `This token's scope does not include "${needed}".`);
  }
  expect(await summary(stack, orgId)).toEqual(before);
  const { rows } = await stack.db.query('SELECT (SELECT count(*)::int FROM webhook_endpoints WHERE org_id = $1) AS endpoints, (SELECT count(*)::int FROM portal_codes WHERE org_id = $1) AS codes', [orgId]);
  expect(rows[0]).toEqual({ endpoints: 0, codes: 0 });
  // An ops key limited to usage is a usage reporter for every organization, and no more.
  const opsReporter = signToken({ sub: 'pipeline', role: 'ops', org: '*', scope: 'usage' }, stack.settings.authJwtSecret);
  await expectStatus(stack.http.post(`/v1/orgs/${orgId}/usage`, opsReporter, { events: messages(1) }), 202);
  expectError(await stack.http.put(`/v1/orgs/${orgId}/subscription`, opsReporter, subscriptionBody()), 403, 'scope_required');
  expectError(await stack.http.post('/v1/orgs', opsReporter, { id: uniqueOrgId('scoped'), name: 'Scoped' }), 403, 'scope_required');
});

test('portal sessions need the portal scope when the token has a scope claim; a token without one keeps its rights', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  const key = (scope?: string) => signToken({ sub: 'backend', role: 'service', org: orgId, ...(scope === undefined ? {} : { scope }) }, stack.settings.authJwtSecret);
  for (const scope of [undefined, 'portal', 'usage portal']) {
    expect(await expectStatus(stack.http.post(`/v1/orgs/${orgId}/portal-sessions`, key(scope), { role: 'owner' }), 201)).toMatchObject({ url: expect.stringContaining('/portal/?code=') });
  }
  for (const scope of ['usage', 'billing', '', 'portals']) {
    expectError(await stack.http.post(`/v1/orgs/${orgId}/portal-sessions`, key(scope), { role: 'owner' }), 403, 'scope_required', 'This token\'s scope does not include "portal".');
  }
  // Without a scope claim a service token reports usage as before; an ops token reads billing as before.
  await expectStatus(stack.http.post(`/v1/orgs/${orgId}/usage`, key(), { events: messages(1) }), 202);
  await expectStatus(stack.http.get(`/v1/orgs/${orgId}/billing`, stack.token('ops')), 200);
});

test('people cannot report usage', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  for (const role of ['owner', 'member'] as const) {
    expectError(await stack.http.post(`/v1/orgs/${orgId}/usage`, stack.token(role, orgId), { events: messages(1) }), 403, 'forbidden');
  }
  expect((await summary(stack, orgId)).availableCredits).toBe(1000);
});

test('only ops can create organizations', async () => {
  const orgId = await createOrg(stack);
  for (const token of [stack.token('owner', orgId), stack.token('member', orgId), stack.token('service')]) {
    const id = uniqueOrgId('denied');
    expectError(await stack.http.post('/v1/orgs', token, { id, name: 'Denied' }), 403, 'forbidden');
    expectError(await stack.http.get(`/v1/orgs/${id}`, stack.token('ops')), 404, 'organization_not_found');
  }
});

test('only ops can set the subscription', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  for (const token of [stack.token('owner', orgId), stack.token('member', orgId), stack.token('service')]) {
    expectError(await stack.http.put(`/v1/orgs/${orgId}/subscription`, token, subscriptionBody()), 403, 'forbidden');
  }
  expect((await summary(stack, orgId)).planCredits.allowance).toBe(1000);
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/subscription`, stack.token('ops'), subscriptionBody()), 200);
  expect((await summary(stack, orgId)).planCredits.allowance).toBe(2000);
});

test("an agency's people can read a sub-account's billing, ledger, events and org", async () => {
  const agency = await createOrg(stack);
  const sub = await createOrg(stack, { parentId: agency });
  for (const role of ['owner', 'member'] as const) {
    const token = stack.token(role, agency);
    const billing = await expectStatus(stack.http.get(`/v1/orgs/${sub}/billing`, token), 200);
    expect(billing.orgId).toBe(sub);
    expect((await expectStatus(stack.http.get(`/v1/orgs/${sub}/ledger`, token), 200)).entries).toEqual(expect.any(Array));
    expect((await expectStatus(stack.http.get(`/v1/orgs/${sub}/events`, token), 200)).events).toEqual(expect.any(Array));
    expect(await expectStatus(stack.http.get(`/v1/orgs/${sub}`, token), 200)).toMatchObject({ id: sub, parentId: agency });
  }
});

test("an agency cannot manage a sub-account's auto-recharge (agency_read_only) and nothing changes", async () => {
  const agency = await createOrg(stack);
  const sub = await createOrg(stack, { parentId: agency });
  const before = await summary(stack, sub);
  for (const role of ['owner', 'member'] as const) {
    const res = await stack.http.put(`/v1/orgs/${sub}/auto-recharge`, stack.token(role, agency), settingsBody);
    expectError(res, 403, 'agency_read_only', AGENCY_READ_ONLY);
    const disable = await stack.http.put(`/v1/orgs/${sub}/auto-recharge`, stack.token(role, agency), { ...settingsBody, enabled: false });
    expectError(disable, 403, 'agency_read_only', AGENCY_READ_ONLY);
  }
  expect(await summary(stack, sub)).toEqual(before);
  expect((await eventsOf(stack, sub)).filter((e) => e.type === 'settings.updated')).toEqual([]);
});

test("an agency cannot change a sub-account's payment method", async () => {
  const agency = await createOrg(stack);
  const sub = await createOrg(stack, { parentId: agency });
  const owner = stack.token('owner', agency);
  expect((await stack.http.put(`/v1/orgs/${sub}/payment-method`, owner, { paymentMethodId: 'pm_card_chargeDeclined' })).status).toBe(403);
  expect((await stack.http.del(`/v1/orgs/${sub}/payment-method`, owner)).status).toBe(403);
  expect((await summary(stack, sub)).paymentMethod).toEqual({ id: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034 });
});

test("a sub-account's people cannot read their agency", async () => {
  const agency = await createOrg(stack);
  const sub = await createOrg(stack, { parentId: agency });
  for (const role of ['owner', 'member'] as const) {
    const token = stack.token(role, sub);
    for (const suffix of ['/billing', '/ledger', '/events', '']) {
      expectError(await stack.http.get(`/v1/orgs/${agency}${suffix}`, token), 403, 'forbidden');
    }
  }
});

test("an agency cannot read another agency's sub-account", async () => {
  const agency = await createOrg(stack);
  const other = await createOrg(stack);
  const sub = await createOrg(stack, { parentId: other });
  expectError(await stack.http.get(`/v1/orgs/${sub}/billing`, stack.token('owner', agency)), 403, 'forbidden');
});

test('a service or ops token scoped to one organization creates no organization, under it or elsewhere', async () => {
  const agency = await createOrg(stack);
  const other = await createOrg(stack);
  for (const role of ['ops', 'service'] as const) {
    const scoped = stack.token(role, agency);
    for (const parentId of [undefined, agency, other]) {
      const id = uniqueOrgId('scoped');
      expectError(await stack.http.post('/v1/orgs', scoped, { id, name: 'Scoped', parentId }), 403, 'forbidden');
      expectError(await stack.http.get(`/v1/orgs/${id}`, stack.token('ops')), 404, 'organization_not_found');
    }
  }
});

test("an ops token scoped to one organization cannot confirm a payment intent in the sandbox, not even its own organization's", async () => {
  const orgId = await createOrg(stack, { planCredits: 0, paymentMethodId: 'pm_card_authenticationRequired' });
  const waiting = await expectStatus(
    stack.http.post(`/v1/orgs/${orgId}/top-ups`, stack.token('owner', orgId), { credits: 500 }, { 'idempotency-key': 'scoped-confirm' }),
    202,
  );
  const intentId = (await summary(stack, orgId)).pendingPayment!.paymentIntentId!;
  expect(waiting.topUp.status).toBe('requires_action');
  for (const org of [orgId, uniqueOrgId('elsewhere')]) {
    expectError(await stack.http.post(`/v1/sandbox/payment-intents/${intentId}/confirm`, stack.token('ops', org)), 403, 'forbidden');
  }
  const { rows } = await stack.db.query('SELECT status FROM sandbox_payment_intents WHERE id = $1', [intentId]);
  expect(rows).toEqual([{ status: 'requires_action' }]);
});

test("an ops or service token scoped to an agency acts on the agency only, not on its sub-accounts", async () => {
  const agency = await createOrg(stack);
  const sub = await createOrg(stack, { parentId: agency, planCredits: 1000, paymentMethodId: null });
  const ops = stack.token('ops', agency);
  expect((await stack.http.get(`/v1/orgs/${agency}/billing`, ops)).status).toBe(200);
  expect((await stack.http.get(`/v1/orgs/${agency}/sub-accounts`, ops)).status).toBe(200);
  for (const suffix of ['/billing', '/ledger', '/events', '']) {
    expectError(await stack.http.get(`/v1/orgs/${sub}${suffix}`, ops), 403, 'forbidden');
  }
  expectError(await stack.http.post(`/v1/orgs/${sub}/usage`, stack.token('service', agency), { events: messages(1) }), 403, 'forbidden');
  expect((await summary(stack, sub)).availableCredits).toBe(1000);
});

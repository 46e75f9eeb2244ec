// Organizations (spec §10): POST /v1/orgs (ops) and GET /v1/orgs/:org.
import { createOrg, expectStatus } from '../helpers/billing';
import { startStack, uniqueOrgId, type Stack } from '../helpers/stack';
import { expectError, sortedKeys } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const ops = () => stack.token('ops');

test('POST /v1/orgs creates an organization: 201 {id, name, parentId, createdAt}', async () => {
  const id = uniqueOrgId();
  const started = Date.now();
  const res = await stack.http.post('/v1/orgs', ops(), { id, name: 'Acme Inc' });
  expect(res.status).toBe(201);
  expect(sortedKeys(res.body)).toEqual(['createdAt', 'id', 'name', 'parentId']);
  expect(res.body).toMatchObject({ id, name: 'Acme Inc', parentId: null });
  const createdAt = Date.parse(res.body.createdAt);
  expect(createdAt).toBeGreaterThan(started - 60_000);
  expect(createdAt).toBeLessThan(Date.now() + 60_000);
  expect(await expectStatus(stack.http.get(`/v1/orgs/${id}`, ops()), 200)).toEqual(res.body);
  expect(await expectStatus(stack.http.get(`/v1/orgs/${id}`, stack.token('owner', id)), 200)).toEqual(res.body);
});

test('a sub-account names its agency as parentId', async () => {
  const agency = await createOrg(stack);
  const id = uniqueOrgId('sub');
  const created = await expectStatus(stack.http.post('/v1/orgs', ops(), { id, name: 'Sub', parentId: agency }), 201);
  expect(created).toMatchObject({ id, name: 'Sub', parentId: agency });
  expect(await expectStatus(stack.http.get(`/v1/orgs/${id}`, ops()), 200)).toEqual(created);
});

test('a new organization has a billing summary with no subscription and no card', async () => {
  const id = uniqueOrgId();
  await expectStatus(stack.http.post('/v1/orgs', ops(), { id, name: 'Fresh' }), 201);
  const s = await expectStatus(stack.http.get(`/v1/orgs/${id}/billing`, ops()), 200);
  expect(s).toMatchObject({ orgId: id, availableCredits: 0, topUpCredits: 0, subscription: null, paymentMethod: null, nextRenewalAt: null, pendingPayment: null, agents: [] });
  expect(s.autoRecharge.enabled).toBe(false);
});

test('creating the same id again is 409 org_exists and keeps the first', async () => {
  const id = uniqueOrgId();
  const first = await expectStatus(stack.http.post('/v1/orgs', ops(), { id, name: 'First' }), 201);
  expectError(await stack.http.post('/v1/orgs', ops(), { id, name: 'Second' }), 409, 'org_exists');
  expect(await expectStatus(stack.http.get(`/v1/orgs/${id}`, ops()), 200)).toEqual(first);
});

test('concurrent creations of one id: exactly one 201, the others 409', async () => {
  const id = uniqueOrgId();
  const results = await Promise.all([1, 2, 3].map((n) => stack.http.post('/v1/orgs', ops(), { id, name: `Racer ${n}` })));
  expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  for (const r of results.filter((r) => r.status === 409)) expectError(r, 409, 'org_exists');
});

test('a parentId that does not exist is 422 and creates nothing', async () => {
  const id = uniqueOrgId();
  expectError(await stack.http.post('/v1/orgs', ops(), { id, name: 'Orphan', parentId: uniqueOrgId('nobody') }), 422, 'validation_failed');
  expectError(await stack.http.get(`/v1/orgs/${id}`, ops()), 404, 'organization_not_found');
});

test.each([
  ['no name', { id: 'ORG' }],
  ['an empty name', { id: 'ORG', name: '  ' }],
  ['no id', { name: 'x' }],
  ['an id with a space', { id: 'bad id', name: 'x' }],
  ['an id of 129 characters', { id: 'a'.repeat(129), name: 'x' }],
  ['an unknown field', { id: 'ORG', name: 'x', plan: 'gold' }],
])('a body with %s is 422 and creates nothing', async (_name, template: Record<string, unknown>) => {
  const id = uniqueOrgId();
  const body = { ...template, ...(template.id === 'ORG' ? { id } : {}) };
  expectError(await stack.http.post('/v1/orgs', ops(), body), 422, 'validation_failed');
  expectError(await stack.http.get(`/v1/orgs/${id}`, ops()), 404, 'organization_not_found');
});

test('an unknown organization is 404 organization_not_found for ops, on every org route', async () => {
  const id = uniqueOrgId('missing');
  for (const suffix of ['', '/billing', '/ledger', '/events']) {
    expectError(await stack.http.get(`/v1/orgs/${id}${suffix}`, ops()), 404, 'organization_not_found');
  }
  const sub = { status: 'active', planCredits: 1, currentPeriodEnd: new Date(Date.now() + 86_400_000).toISOString() };
  expectError(await stack.http.put(`/v1/orgs/${id}/subscription`, ops(), sub), 404, 'organization_not_found');
  expectError(await stack.http.post(`/v1/orgs/${id}/usage`, stack.token('service'), { events: [{ id: 'e', agentId: 'a', meter: 'message', quantity: 1 }] }), 404, 'organization_not_found');
});

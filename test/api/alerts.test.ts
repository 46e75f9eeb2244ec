// PUT/GET /v1/orgs/:org/alerts: the set is replaced whole; bad input is refused with 422 and
// changes nothing. (Who may call them: test/api/roleMatrix.test.ts. Firing and re-arming:
// test/store/alerts.test.ts and test/workflow/alertLadder.test.ts.)
import { createOrg, expectStatus } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const path = (orgId: string) => `/v1/orgs/${orgId}/alerts`;
const alerts = [
  { id: 'low', type: 'available_below', credits: 100 },
  { id: 'plan-80', type: 'plan_used_percent', percent: 80 },
];

test('an organization has no alerts until they are saved; ops and the owner replace them, its people and its agency read them', async () => {
  const agency = await createOrg(stack, { paymentMethodId: null });
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null, parentId: agency });
  expect(await expectStatus(stack.http.get(path(orgId), stack.token('member', orgId)), 200)).toEqual({ alerts: [] });

  const saved = await expectStatus(stack.http.put(path(orgId), stack.token('owner', orgId), { alerts }), 200);
  expect(saved).toEqual({ alerts: alerts.map((a) => ({ ...a, armed: true, lastTriggeredAt: null })) });
  expect(await expectStatus(stack.http.get(path(orgId), stack.token('member', agency)), 200)).toEqual(saved);

  const replaced = await expectStatus(stack.http.put(path(orgId), stack.token('ops'), { alerts: [alerts[1]] }), 200);
  expect(replaced).toEqual({ alerts: [{ ...alerts[1], armed: true, lastTriggeredAt: null }] });
  expect(await expectStatus(stack.http.get(path(orgId), stack.token('owner', orgId)), 200)).toEqual(replaced);
  expect(await expectStatus(stack.http.put(path(orgId), stack.token('owner', orgId), { alerts: [] }), 200)).toEqual({ alerts: [] });
});

const eleven = Array.from({ length: 11 }, (_, i) => ({ id: `a${i}`, type: 'available_below', credits: i }));

test.each([
  ['more than 10 alerts', { alerts: eleven }, 'alerts'],
  ['a duplicate id', { alerts: [alerts[0], { ...alerts[1], id: 'low' }] }, 'ids must be unique'],
  ['a percent of 0', { alerts: [{ id: 'p', type: 'plan_used_percent', percent: 0 }] }, 'alerts.0.percent'],
  ['a percent above 100', { alerts: [{ id: 'p', type: 'plan_used_percent', percent: 101 }] }, 'alerts.0.percent'],
  ['a fractional percent', { alerts: [{ id: 'p', type: 'plan_used_percent', percent: 50.5 }] }, 'alerts.0.percent'],
  ['negative credits', { alerts: [{ id: 'c', type: 'available_below', credits: -1 }] }, 'alerts.0.credits'],
  ['an unknown type', { alerts: [{ id: 'x', type: 'balance_above', credits: 5 }] }, 'alerts.0'],
  ["a field of the other type's", { alerts: [{ id: 'x', type: 'available_below', percent: 5 }] }, 'alerts.0'],
  ['a malformed id', { alerts: [{ id: 'no spaces', type: 'available_below', credits: 5 }] }, 'alerts.0.id'],
  ['no alerts field', {}, 'alerts'],
])('%s is refused with 422 and changes nothing', async (_name, body, field) => {
  const orgId = await createOrg(stack, { paymentMethodId: null });
  const owner = stack.token('owner', orgId);
  const before = await expectStatus(stack.http.put(path(orgId), owner, { alerts }), 200);
  const refused = await expectStatus(stack.http.put(path(orgId), owner, body), 422);
  expect(refused.error.code).toBe('validation_failed');
  expect(refused.error.message).toContain(field);
  expect(await expectStatus(stack.http.get(path(orgId), owner), 200)).toEqual(before);
});

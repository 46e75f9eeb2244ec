// The allowance check answers from the balance, the agent's settings and its spend, with the reasons the spec names.
import { createOrg, expectStatus, messages, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const allowance = async (orgId: string, agentId: string) =>
  expectStatus(stack.http.get(`/v1/orgs/${orgId}/agents/${agentId}/allowance`, stack.token('service')), 200);
const configure = (orgId: string, agentId: string, body: unknown) =>
  expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/${agentId}`, stack.token('owner', orgId), body), 200);

test('allowed while plan credits remain; then by agent setting, limit and wallet', async () => {
  const orgId = await createOrg(stack, { planCredits: 10, paymentMethodId: null });
  expect(await allowance(orgId, 'new-agent')).toEqual({ allowed: true, reason: null });

  expect(await configure(orgId, 'stopper', { monthlyLimitCredits: null, whenPlanExhausted: 'stop' })).toMatchObject({ id: 'stopper', whenPlanExhausted: 'stop' });
  await configure(orgId, 'capped', { monthlyLimitCredits: 3, whenPlanExhausted: 'stop' });
  await postUsage(stack, orgId, messages(4, 'capped'));
  expect(await allowance(orgId, 'capped')).toEqual({ allowed: false, reason: 'agent_limit_reached' });
  // The debit draws the same line: 3 credits up to its limit from the plan, the fourth from the
  // wallet (into debt), although plan credits remain.
  expect(await settled(stack, orgId)).toMatchObject({ planCredits: { remaining: 7 }, topUpCredits: -1, availableCredits: 6 });

  await postUsage(stack, orgId, messages(7, 'other'));
  await settled(stack, orgId, (s) => s.planCredits.remaining === 0);
  expect(await allowance(orgId, 'stopper')).toEqual({ allowed: false, reason: 'plan_exhausted' });
  expect(await allowance(orgId, 'other')).toEqual({ allowed: false, reason: 'insufficient_balance' });

  const owner = stack.token('owner', orgId);
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' }), 200);
  await expectStatus(stack.http.post(`/v1/orgs/${orgId}/top-ups`, owner, { credits: 500 }, { 'idempotency-key': 'agents-1' }), 201);
  expect(await allowance(orgId, 'other')).toEqual({ allowed: true, reason: null });
  expect(await allowance(orgId, 'stopper')).toEqual({ allowed: false, reason: 'plan_exhausted' });

  const s = await settled(stack, orgId);
  expect(s.agents.find((a) => a.id === 'capped')).toEqual({ id: 'capped', spentThisMonth: 4, monthlyLimitCredits: 3, whenPlanExhausted: 'stop', allowed: false, reason: 'agent_limit_reached' });

  await expectStatus(
    stack.http.put(`/v1/orgs/${orgId}/subscription`, stack.token('ops'), { status: 'past_due', planCredits: 10, currentPeriodEnd: s.nextRenewalAt }),
    200,
  );
  expect(await allowance(orgId, 'other')).toEqual({ allowed: false, reason: 'subscription_inactive' });
});

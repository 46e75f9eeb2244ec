// Allowance checks do not wait for the organization's workflow: PostgreSQL has the view the
// workflow committed with its records, and the API completes it with the usage it accepted since.
import { committedView, createOrg, expectCommittedViewMatches, expectStatus, messages, postUsage, settled } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  // Nothing answered from memory: every check reads the view again.
  stack = await startStack({ ALLOWANCE_CACHE_MS: '0' });
});
afterAll(() => stack.stop());

const allowance = (orgId: string, agentId: string) =>
  expectStatus(stack.http.get(`/v1/orgs/${orgId}/agents/${agentId}/allowance`, stack.token('service')), 200);

test('the view committed with the records is the workflow view', async () => {
  const orgId = await createOrg(stack, { planCredits: 50, paymentMethodId: null });
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/capped`, stack.token('owner', orgId), { monthlyLimitCredits: 5, whenPlanExhausted: 'stop' }), 200);
  await postUsage(stack, orgId, [...messages(7, 'capped'), ...messages(3, 'plain')]);
  await settled(stack, orgId);
  const workflow = await expectCommittedViewMatches(stack, orgId);
  expect(workflow.view.agents).toEqual({ capped: { spentThisMonth: 7, monthlyLimitCredits: 5, whenPlanExhausted: 'stop' } });
  expect(await allowance(orgId, 'capped')).toEqual({ allowed: false, reason: 'agent_limit_reached' });
});

test('setting an agent reaches the committed view without any usage after it', async () => {
  const orgId = await createOrg(stack, { planCredits: 50, paymentMethodId: null });
  await postUsage(stack, orgId, messages(1, 'later-capped'));
  await settled(stack, orgId);
  expect((await committedView(stack, orgId))?.view.agents).toEqual({});
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/later-capped`, stack.token('owner', orgId), { monthlyLimitCredits: 1, whenPlanExhausted: 'stop' }), 200);
  const { view } = await expectCommittedViewMatches(stack, orgId);
  expect(view.agents).toEqual({ 'later-capped': { spentThisMonth: 1, monthlyLimitCredits: 1, whenPlanExhausted: 'stop' } });
});

test('with the worker stopped, checks are answered from the committed view and the usage accepted since', async () => {
  const orgId = await createOrg(stack, { planCredits: 10, paymentMethodId: null });
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/stopper`, stack.token('owner', orgId), { monthlyLimitCredits: null, whenPlanExhausted: 'stop' }), 200);
  await postUsage(stack, orgId, messages(4, 'stopper'));
  await settled(stack, orgId);
  // The settings write above sends this check to the workflow, while it still runs.
  expect(await allowance(orgId, 'stopper')).toEqual({ allowed: true, reason: null });

  stack.worker.shutdown();
  await eventually(() => stack.worker.getState() === 'STOPPED');
  expect(await allowance(orgId, 'stopper')).toEqual({ allowed: true, reason: null });
  // Accepted into the workflow's history; no worker has applied or committed it.
  await postUsage(stack, orgId, messages(6, 'other'));
  expect(await allowance(orgId, 'stopper')).toEqual({ allowed: false, reason: 'plan_exhausted' });
  expect(await allowance(orgId, 'other')).toEqual({ allowed: false, reason: 'insufficient_balance' });
});

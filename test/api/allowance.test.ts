// Allowance checks do not wait for the organization's workflow: PostgreSQL has the view the
// workflow committed with its records, and the API completes it with the usage it accepted since.
import { allowanceViewQuery, workflowIdFor } from '../../workflows/messages';
import { createOrg, expectStatus, messages, postUsage, settled } from '../helpers/billing';
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
  const workflow = await stack.client.workflow.getHandle(workflowIdFor(orgId)).query(allowanceViewQuery);
  expect(workflow.view.agents).toEqual({ capped: { spentThisMonth: 7, monthlyLimitCredits: 5, whenPlanExhausted: 'stop' } });
  const { rows } = await stack.db.query('SELECT plan_remaining, top_up, subscription_active, agents, version, usage_seq FROM allowance_views WHERE org_id = $1', [orgId]);
  expect({
    view: { pools: { planRemaining: Number(rows[0].plan_remaining), topUp: Number(rows[0].top_up) }, subscriptionActive: rows[0].subscription_active, agents: rows[0].agents },
    version: Number(rows[0].version),
    usageSeq: Number(rows[0].usage_seq),
  }).toEqual(workflow);
  expect(await allowance(orgId, 'capped')).toEqual({ allowed: false, reason: 'agent_limit_reached' });
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

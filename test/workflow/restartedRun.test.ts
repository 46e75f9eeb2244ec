// A run that starts without a carried state (the earlier one was terminated) continues what
// PostgreSQL holds: settings, card, subscription, commit versions and ledger refs.
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { orgBillingWorkflow } from '../../workflows';
import { configureAutoRechargeUpdate, ORG_WORKFLOW_TYPE, topUpUpdate, workflowIdFor } from '../../workflows/messages';
import { createOrg, expectLedgerMatches, expectStatus, inOneMonth, messages, postUsage, settled } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

test('after its workflow was terminated, an organization recharges, renews and commits as before', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, autoRecharge: { thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 5 } });
  const handle = stack.client.workflow.getHandle(workflowIdFor(orgId));
  const first = (await handle.describe()).runId;
  await handle.terminate('lost by an operator');

  // The crossing's signal starts a new run: it must still know the card and the settings.
  await postUsage(stack, orgId, messages(600));
  const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s.availableCredits).toBe(1000 - 600 + 1000);
  expect(s.paymentMethod).toEqual({ id: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034 });
  await eventually(async () => expect((await handle.describe()).runId).not.toBe(first));

  // A new period from the new run: its renewal ref must not collide with the first run's.
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/subscription`, stack.token('ops'), { status: 'active', planCredits: 2000, currentPeriodEnd: inOneMonth() }), 200);
  const renewed = await settled(stack, orgId);
  expect(renewed.planCredits).toEqual({ allowance: 2000, remaining: 2000 });
  const { rows } = await stack.db.query("SELECT ref FROM ledger_entries WHERE org_id = $1 AND kind = 'plan_renewal' ORDER BY id", [orgId]);
  expect(rows).toHaveLength(2);
  await expectLedgerMatches(stack, orgId);
});

test('commands that start the next run are judged by what PostgreSQL holds, not by the run before it has read it', async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  const handle = stack.client.workflow.getHandle(workflowIdFor(orgId));
  // Each update arrives with the start of the run, so its validator runs before the run has read the card.
  const withStart = () =>
    new WithStartWorkflowOperation<typeof orgBillingWorkflow>(ORG_WORKFLOW_TYPE, {
      workflowId: workflowIdFor(orgId),
      taskQueue: stack.settings.temporal.taskQueue,
      args: [{ orgId, rules: stack.settings.rules }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });

  await handle.terminate('lost by an operator');
  const topUp = await stack.client.workflow.executeUpdateWithStart(topUpUpdate, { args: [{ idempotencyKey: 'after-restart', credits: 500 }], startWorkflowOperation: withStart() });
  expect(topUp).toMatchObject({ status: 'succeeded', credits: 500 });

  await handle.terminate('lost again');
  const settings = { enabled: true, thresholdCredits: 100, rechargeCredits: 1000, maxRechargesPerMonth: 3 };
  await stack.client.workflow.executeUpdateWithStart(configureAutoRechargeUpdate, { args: [settings], startWorkflowOperation: withStart() });
  const s = await settled(stack, orgId);
  expect(s.topUpCredits).toBe(500);
  expect(s.autoRecharge).toMatchObject(settings);
  await expectLedgerMatches(stack, orgId);
});

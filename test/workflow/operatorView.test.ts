// Operators find every organization in the Temporal UI by its search attributes, read it at a
// glance in its workflow's details, and list the same from PostgreSQL for scripts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findTemporalCli } from '../../worker/temporalCli';
import { workflowIdFor } from '../../workflows/messages';
import { createOrg, enableAutoRecharge, expectStatus, messages, postUsage, settled } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ AUTO_RECHARGE_RETRY_DELAY_MS: '100' });
});
afterAll(() => stack.stop());

// Asynchronous: the metadata query is answered by this process's own worker, which must keep running.
const cli = async (...args: string[]) =>
  (await promisify(execFile)(findTemporalCli(process.env.TEMPORAL_CLI_PATH)!, [...args, '--address', process.env.TEST_TEMPORAL_ADDRESS!], { encoding: 'utf8' })).stdout;

/** What an operator types in the UI's search, through the CLI: the workflow ids it finds. */
async function found(query: string): Promise<string[]> {
  const out = await cli('workflow', 'list', '--query', query, '--output', 'json');
  const parsed = out.trim() ? JSON.parse(out) : [];
  return (Array.isArray(parsed) ? parsed : [parsed]).map((w: { execution: { workflowId: string } }) => w.execution.workflowId);
}

async function expectFound(orgId: string, attribute: string, value: string) {
  await eventually(async () => {
    expect(await found(`${attribute} = '${value}' AND WorkflowId = '${workflowIdFor(orgId)}'`)).toEqual([workflowIdFor(orgId)]);
  }, 20_000);
}

test('each search attribute finds the organization once its state changes', async () => {
  const agency = await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  const orgId = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_chargeDeclined', parentId: agency });
  await expectFound(orgId, 'BillingAutoRecharge', 'off');
  await expectFound(orgId, 'BillingAgencyId', agency);
  await expectFound(orgId, 'BillingPaymentStatus', 'none');

  await enableAutoRecharge(stack, orgId, { thresholdCredits: 500, rechargeCredits: 500, maxRechargesPerMonth: 3 });
  await settled(stack, orgId, (s) => s.autoRecharge.disabledReason !== null);
  await expectFound(orgId, 'BillingAutoRecharge', 'disabled_after_failures');

  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, stack.token('owner', orgId), { paymentMethodId: 'pm_card_authenticationRequired' }), 200);
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 500, rechargeCredits: 500, maxRechargesPerMonth: 3 });
  await expectFound(orgId, 'BillingPaymentStatus', 'requires_action');
  await expectFound(orgId, 'BillingAutoRecharge', 'on');

  const capped = await createOrg(stack, { planCredits: 100 });
  await enableAutoRecharge(stack, capped, { thresholdCredits: 5000, rechargeCredits: 500, maxRechargesPerMonth: 2 });
  await settled(stack, capped, (s) => s.autoRecharge.rechargesUsedThisMonth === 2);
  await expectFound(capped, 'BillingAutoRecharge', 'capped');
  await postUsage(stack, capped, messages(5));

  // The ops listing answers the same from PostgreSQL.
  const ops = stack.token('ops');
  const listed = await expectStatus(stack.http.get(`/v1/orgs?parentId=${agency}`, ops), 200);
  expect(listed.orgs).toEqual([expect.objectContaining({ id: orgId, parentId: agency, autoRecharge: 'on', paymentStatus: 'requires_action' })]);
  const cappedOnes = await expectStatus(stack.http.get('/v1/orgs?autoRecharge=capped&limit=500', ops), 200);
  expect(cappedOnes.orgs.map((o: { id: string }) => o.id)).toContain(capped);
  expect((await stack.http.get('/v1/orgs?autoRecharge=sometimes', ops)).status).toBe(422);
  expect((await stack.http.get('/v1/orgs', stack.token('ops', capped))).status).toBe(403);
  expect((await stack.http.get('/v1/orgs', stack.token('owner', capped))).status).toBe(403);
});

test('the workflow shows the organization at a glance: its summary and current details', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, autoRecharge: { thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 4 } });
  await postUsage(stack, orgId, messages(60));
  await settled(stack, orgId, (s) => s.autoRecharge.rechargesUsedThisMonth === 1);
  await eventually(async () => {
    const metadata = await cli('workflow', 'metadata', '--workflow-id', workflowIdFor(orgId));
    expect(metadata).toContain('**Auto-recharge**: on, 1/4 recharges used this month');
    expect(metadata).toContain('**Available credits** (at the last decision): 540');
    expect(metadata).toContain('**Pending payment**: none');
  });
  const description = await stack.client.workflow.getHandle(workflowIdFor(orgId)).describe();
  expect(await description.staticSummary()).toBe(`Org ${orgId} (${orgId})`);
});

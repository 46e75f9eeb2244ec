// A run that starts without a carried state (the earlier one was terminated) continues what
// PostgreSQL holds: settings, card, subscription, commit versions and ledger refs.
import { workflowIdFor } from '../../workflows/messages';
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
  expect(s.paymentMethod).toEqual({ id: 'pm_card_visa' });
  await eventually(async () => expect((await handle.describe()).runId).not.toBe(first));

  // A new period from the new run: its renewal ref must not collide with the first run's.
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/subscription`, stack.token('ops'), { status: 'active', planCredits: 2000, currentPeriodEnd: inOneMonth() }), 200);
  const renewed = await settled(stack, orgId);
  expect(renewed.planCredits).toEqual({ allowance: 2000, remaining: 2000 });
  const { rows } = await stack.db.query("SELECT ref FROM ledger_entries WHERE org_id = $1 AND kind = 'plan_renewal' ORDER BY id", [orgId]);
  expect(rows).toHaveLength(2);
  await expectLedgerMatches(stack, orgId);
});

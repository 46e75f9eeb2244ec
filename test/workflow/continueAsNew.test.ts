// Continue-as-new keeps runs short and carries the organization's decisions: settings, counters,
// the subscription and payment ids. Nothing in a run's input grows with usage or agents.
import { workflowIdFor } from '../../workflows/messages';
import { createOrg, enableAutoRecharge, expectLedgerMatches, expectStatus, messages, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ CONTINUE_AS_NEW_AFTER_EVENTS: '40' });
});
afterAll(() => stack.stop());

type History = Awaited<ReturnType<ReturnType<Stack['client']['workflow']['getHandle']>['fetchHistory']>>;

async function chainHistories(orgId: string): Promise<History[]> {
  const runs: Array<{ start: number; history: History }> = [];
  for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(orgId)}'` })) {
    runs.push({ start: run.startTime.getTime(), history: await stack.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory() });
  }
  return runs.sort((a, b) => a.start - b.start).map((r) => r.history);
}

test('decisions continue across runs, each run short and its input small', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, autoRecharge: { thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 8 } });
  const owner = stack.token('owner', orgId);
  // Each crossing is a signal, a read, a charge and two commits: enough history for a few runs.
  for (let i = 0; i < 8; i++) {
    await postUsage(stack, orgId, messages(i === 0 ? 60 : 500, `agent-${i}`));
    await settled(stack, orgId, (s) => s.autoRecharge.rechargesUsedThisMonth === i + 1);
  }
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/agent-1`, owner, { monthlyLimitCredits: 10, whenPlanExhausted: 'stop' }), 200);
  const s = await settled(stack, orgId);
  expect(s.autoRecharge.rechargesUsedThisMonth).toBe(8);
  expect(s.availableCredits).toBe(100 - 60 - 7 * 500 + 8 * 500);

  const runs = await chainHistories(orgId);
  expect(runs.length).toBeGreaterThanOrEqual(2);
  for (const run of runs) {
    // Continue-as-new waits for the action in progress (a crossing is a dozen events or so).
    expect(run.events!.length).toBeLessThan(3 * 40);
    const input = run.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0].data!;
    expect(input.length).toBeLessThan(8_000);
  }
  // The cap and the payment ids carried on: the next crossing is refused by the cap, no id reused.
  await postUsage(stack, orgId, messages(600, 'agent-9'));
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 8 });
  const capped = await settled(stack, orgId);
  expect(capped.autoRecharge.rechargesUsedThisMonth).toBe(8);
  const { rows } = await stack.db.query("SELECT count(DISTINCT ref)::int AS refs, count(*)::int AS n FROM ledger_entries WHERE org_id = $1 AND kind = 'auto_recharge'", [orgId]);
  expect(rows[0]).toEqual({ refs: 8, n: 8 });
  await expectLedgerMatches(stack, orgId);
});

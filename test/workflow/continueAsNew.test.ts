// Continue-as-new keeps runs short and carries the state and the dedupe window; PostgreSQL catches
// redeliveries older than the window.
import { workflowIdFor } from '../../workflows/messages';
import { createOrg, expectLedgerMatches, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

const DEDUPE_WINDOW = 20;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ CONTINUE_AS_NEW_AFTER_EVENTS: '40', USAGE_DEDUPE_WINDOW: String(DEDUPE_WINDOW) });
});
afterAll(() => stack.stop());

const event = (i: number) => ({ id: `can-${i}`, agentId: 'agent-1', meter: 'message', quantity: 2 });

test('state and recent event ids survive continue-as-new; old redeliveries are caught by the ledger', async () => {
  const orgId = await createOrg(stack, {
    planCredits: 100,
    autoRecharge: { thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 10 },
  });
  const handle = stack.client.workflow.getHandle(workflowIdFor(orgId));
  const firstRunId = (await handle.describe()).runId;

  for (let i = 0; i < 60; i++) await postUsage(stack, orgId, [event(i)]);
  const s = await settled(stack, orgId);
  expect(s.availableCredits).toBe(100 + 500 - 120);
  expect(s.autoRecharge.rechargesUsedThisMonth).toBe(1);
  expect(s.agents[0].spentThisMonth).toBe(120);
  const description = await handle.describe();
  expect(description.runId).not.toBe(firstRunId);
  expect(description.historyLength).toBeLessThan(80);

  // Within the window but from an earlier run: dropped by the workflow itself (the window was
  // carried), so the signal schedules no write at all.
  const currentRun = (await handle.fetchHistory()).events ?? [];
  const idsInCurrentRun = new Set(
    currentRun
      .flatMap((e) => e.workflowExecutionSignaledEventAttributes?.input?.payloads ?? [])
      .flatMap((p) => JSON.parse(Buffer.from(p.data!).toString()) as Array<{ id: string }>)
      .map((e) => e.id),
  );
  const carried = Array.from({ length: DEDUPE_WINDOW }, (_, k) => 59 - k).filter((i) => !idsInCurrentRun.has(`can-${i}`));
  expect(carried.length).toBeGreaterThan(0);
  await postUsage(stack, orgId, carried.map(event));
  await settled(stack, orgId);
  const events = (await handle.fetchHistory()).events ?? [];
  const lastSignal = events.findLastIndex((e) => e.workflowExecutionSignaledEventAttributes);
  expect(lastSignal).toBeGreaterThanOrEqual(0);
  expect(events.slice(lastSignal).some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
  expect((await settled(stack, orgId)).availableCredits).toBe(480);

  // Beyond the window: applied again by the workflow, then reverted when PostgreSQL says it was seen.
  await postUsage(stack, orgId, [event(0), event(1)]);
  const after = await expectLedgerMatches(stack, orgId);
  expect(after.availableCredits).toBe(480);
  expect(after.agents[0].spentThisMonth).toBe(120);
  const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM usage_events WHERE org_id = $1', [orgId]);
  expect(rows[0].n).toBe(60);
});

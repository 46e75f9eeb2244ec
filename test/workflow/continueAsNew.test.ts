// Continue-as-new keeps runs short and carries the state and the dedupe window; PostgreSQL catches
// redeliveries older than the window.
import { usageSignal, workflowIdFor } from '../../workflows/messages';
import { createOrg, expectCommittedViewMatches, expectLedgerMatches, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

const DEDUPE_WINDOW = 20;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ CONTINUE_AS_NEW_AFTER_EVENTS: '40', USAGE_DEDUPE_WINDOW: String(DEDUPE_WINDOW) });
});
afterAll(() => stack.stop());

type History = Awaited<ReturnType<ReturnType<Stack['client']['workflow']['getHandle']>['fetchHistory']>>;

/** Every run of the org's workflow chain, oldest first. */
async function chainHistories(orgId: string): Promise<History[]> {
  const runs: Array<{ start: number; history: History }> = [];
  for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(orgId)}'` })) {
    runs.push({ start: run.startTime.getTime(), history: await stack.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory() });
  }
  return runs.sort((a, b) => a.start - b.start).map((r) => r.history);
}

const decode = (payload: { data?: Uint8Array | null }) => JSON.parse(Buffer.from(payload.data!).toString());

function signalledUsageIds(history: History): string[] {
  return (history.events ?? [])
    .flatMap((e) => e.workflowExecutionSignaledEventAttributes?.input?.payloads ?? [])
    .flatMap((p) => decode(p) as Array<{ id: string }>)
    .map((e) => e.id);
}

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

  // The window travels in the continue-as-new input...
  const runs = await chainHistories(orgId);
  const carriedStates = runs.flatMap((h) => (h.events ?? []).flatMap((e) => e.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads ?? [])).map((p) => decode(p).state);
  const carriedWindow: string[] = carriedStates.at(-1).recentUsageIds;
  expect(carriedWindow.length).toBeGreaterThan(0);
  expect(carriedWindow.length).toBeLessThanOrEqual(DEDUPE_WINDOW);
  const currentRunIds = new Set(signalledUsageIds(runs.at(-1)!));
  const carried = carriedWindow.filter((id) => !currentRunIds.has(id));
  expect(carried.length).toBeGreaterThan(0);

  // ...and the workflow drops those ids: a signal carrying them (sent directly, past the API's own
  // check against PostgreSQL) debits nothing and writes nothing.
  const redelivered = carried.map((id) => ({ ...event(0), id, credits: 2, occurredAt: new Date().toISOString() }));
  await handle.signal(usageSignal, redelivered);
  expect((await settled(stack, orgId)).availableCredits).toBe(480);
  // The redelivery is the latest signal naming these ids (their first delivery was in an earlier run).
  const runWithSignal = (await chainHistories(orgId)).findLast((h) => signalledUsageIds(h).includes(carried[0]))!;
  const events = runWithSignal.events ?? [];
  const signalAt = events.findLastIndex((e) => e.workflowExecutionSignaledEventAttributes);
  const later = events.slice(signalAt);
  expect(later.some((e) => (e.markerRecordedEventAttributes ? JSON.stringify(e.markerRecordedEventAttributes).includes('appendRecords') : false) || e.activityTaskScheduledEventAttributes)).toBe(false);
  const continued = later.find((e) => e.workflowExecutionContinuedAsNewEventAttributes)?.workflowExecutionContinuedAsNewEventAttributes;
  if (continued) expect(decode(continued.input!.payloads![0]).state.outbox).toEqual([]);

  // Beyond the window: the API answers them from PostgreSQL without a signal. A signal that
  // carries them anyway (sent here directly) is applied by the workflow, then reverted when
  // PostgreSQL says it was seen.
  await postUsage(stack, orgId, [event(0), event(1)]);
  expect((await settled(stack, orgId)).availableCredits).toBe(480);
  const priced = [event(0), event(1)].map((e) => ({ ...e, credits: 2, occurredAt: new Date().toISOString() }));
  await handle.signal(usageSignal, priced);
  const after = await expectLedgerMatches(stack, orgId);
  expect(after.availableCredits).toBe(480);
  // The view committed with the reverted batch showed the debit; it is written again without it.
  expect((await expectCommittedViewMatches(stack, orgId)).view.pools).toEqual({ planRemaining: 0, topUp: 480 });
  expect(after.agents[0].spentThisMonth).toBe(120);
  const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM usage_events WHERE org_id = $1', [orgId]);
  expect(rows[0].n).toBe(60);
});

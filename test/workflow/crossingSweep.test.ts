// A crossing whose API died between the commit and the signal is not left to the next API to start:
// the APIs that run sweep the pending signals every CROSSING_SWEEP_INTERVAL_MS, so the recharge
// follows within a bounded time, with no process restarted.
import { recordUsage } from '../../store/usage';
import { balanceLowSignal, workflowIdFor } from '../../workflows/messages';
import { createOrg, expectLedgerMatches, messages, settled, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

const SWEEP_INTERVAL_MS = 500;
/** Two sweeps (a crossing is sent once it was pending a whole interval), the signal and a sandbox charge, on a loaded machine. */
const RECHARGED_WITHIN_MS = 15_000;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ CROSSING_SWEEP_INTERVAL_MS: String(SWEEP_INTERVAL_MS) });
});
afterAll(() => stack.stop());

test('a crossing committed by a process that died before signalling recharges within a bounded time, without any restart', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, autoRecharge: { thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 5 } });
  await settled(stack, orgId);
  // The usage transaction alone, as an API process commits it just before dying: nothing signals it.
  const committedAt = Date.now();
  const recorded = await recordUsage(stack.db, orgId, messages(600).map((e) => ({ ...e, credits: 1, occurredAt: new Date().toISOString() })));
  expect(recorded).toMatchObject({ recorded: 600, availableCredits: 400, signalWorkflow: true });

  // The running API (started before the crossing, never restarted) sends it.
  const recharged = await eventually(async () => {
    const s = await summary(stack, orgId);
    if (s.autoRecharge.rechargesUsedThisMonth !== 1 || s.pendingPayment !== null) throw new Error(`not recharged: ${JSON.stringify(s.autoRecharge)}`);
    return s;
  }, RECHARGED_WITHIN_MS);
  expect(Date.now() - committedAt).toBeLessThan(RECHARGED_WITHIN_MS);
  expect(recharged.availableCredits).toBe(1400);

  const { rows } = await stack.db.query('SELECT signal_pending FROM balances WHERE org_id = $1', [orgId]);
  expect(rows[0].signal_pending).toBe(false);
  const history = (await stack.client.workflow.getHandle(workflowIdFor(orgId)).fetchHistory()).events ?? [];
  expect(history.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === balanceLowSignal.name)).toHaveLength(1);
  await expectLedgerMatches(stack, orgId);
});

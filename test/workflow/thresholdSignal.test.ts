// The trigger fires on the debit itself: the transaction that takes available below the threshold
// marks one signal, the API sends it after the commit, and the workflow reads the balance and
// decides. Usage that crosses nothing costs the workflow nothing.
import { CrossingSignals } from '../../api/crossingSignals';
import { OrgWorkflows } from '../../api/orgWorkflows';
import { startApi } from '../../api/server';
import { logger } from '../../observability/logger';
import { recordUsage } from '../../store/usage';
import { balanceLowSignal, workflowIdFor } from '../../workflows/messages';
import { createOrg, eventsOf, expectLedgerMatches, messages, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  // No periodic sweep during these tests (crossingSweep.test.ts has it): the signals counted here are
  // the usage requests' own and the start sweep's.
  stack = await startStack({ SANDBOX_CHARGE_DELAY_MS: '200', CROSSING_SWEEP_INTERVAL_MS: '3600000' });
});
afterAll(() => stack.stop());

async function historyOf(orgId: string) {
  return (await stack.client.workflow.getHandle(workflowIdFor(orgId)).fetchHistory()).events ?? [];
}

const signalsIn = (events: Awaited<ReturnType<typeof historyOf>>) =>
  events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === balanceLowSignal.name);

test('usage that crosses no threshold adds nothing to the workflow history', async () => {
  const orgId = await createOrg(stack, { planCredits: 100_000, autoRecharge: { thresholdCredits: 100, rechargeCredits: 500, maxRechargesPerMonth: 5 } });
  await settled(stack, orgId);
  const before = (await historyOf(orgId)).length;
  for (let i = 0; i < 20; i++) await postUsage(stack, orgId, messages(50));
  expect((await historyOf(orgId)).length).toBe(before);
});

test('many concurrent requests crossing the threshold signal the workflow once and recharge once', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, autoRecharge: { thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 5 } });
  await Promise.all(Array.from({ length: 12 }, () => postUsage(stack, orgId, messages(50))));
  const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s.availableCredits).toBe(1000 - 600 + 1000);
  expect(signalsIn(await historyOf(orgId))).toHaveLength(1);
  const events = await eventsOf(stack, orgId);
  expect(events.filter((e) => e.type === 'balance.low')).toHaveLength(1);
  expect(events.filter((e) => e.type === 'auto_recharge.succeeded')).toHaveLength(1);
  const pending = await stack.db.query('SELECT signal_pending FROM balances WHERE org_id = $1', [orgId]);
  expect(pending.rows[0].signal_pending).toBe(false);
  await expectLedgerMatches(stack, orgId);
});

test('a crossing committed by a process that died before signalling is sent by the next API to start', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, autoRecharge: { thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 5 } });
  await settled(stack, orgId);
  // The usage transaction alone, as an API process would commit it just before dying.
  const recorded = await recordUsage(
    stack.db,
    orgId,
    messages(600).map((e) => ({ ...e, credits: 1, occurredAt: new Date().toISOString() })),
  );
  expect(recorded).toMatchObject({ recorded: 600, availableCredits: 400, signalWorkflow: true });
  expect(signalsIn(await historyOf(orgId))).toHaveLength(0);

  const restarted = await startApi(stack.settings, stack.db, stack.settings.temporal.address!, 0);
  try {
    const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
    expect(s.availableCredits).toBe(1400);
    expect(signalsIn(await historyOf(orgId))).toHaveLength(1);
  } finally {
    await restarted.close();
  }
  await expectLedgerMatches(stack, orgId);
});

test('clearing one crossing\'s signal leaves a later crossing\'s pending', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, autoRecharge: { thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 5 } });
  await settled(stack, orgId);
  const usage = (count: number) => messages(count).map((e) => ({ ...e, credits: 1, occurredAt: new Date().toISOString() }));
  const first = await recordUsage(stack.db, orgId, usage(600));
  // A recharge lifted the balance (the workflow's commit re-arms the crossing), then a second crossing whose signal failed.
  await stack.db.query('UPDATE balances SET low_notified = false WHERE org_id = $1', [orgId]);
  const second = await recordUsage(stack.db, orgId, usage(10));
  expect([first.signalWorkflow, second.signalWorkflow]).toEqual([true, true]);
  expect(second.signalGeneration).toBe(first.signalGeneration + 1);

  const crossings = new CrossingSignals(stack.db, new OrgWorkflows(stack.client, stack.settings.temporal.taskQueue, stack.settings.rules, { timeoutMs: stack.settings.temporal.commandTimeoutMs }), logger, stack.settings.crossingSweepIntervalMs);
  crossings.send(orgId, { crossedBy: first.crossedBy, availableCredits: first.availableCredits }, first.signalGeneration);
  await crossings.close();
  const { rows } = await stack.db.query('SELECT signal_pending FROM balances WHERE org_id = $1', [orgId]);
  expect(rows[0].signal_pending).toBe(true);
});

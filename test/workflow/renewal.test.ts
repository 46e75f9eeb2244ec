// Renewal at period end: plan reset (not carried over), monthly counters reset, the wallet kept.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { setSubscriptionUpdate, workflowIdFor } from '../../workflows/messages';
import { createOrg, eventsOf, expectLedgerMatches, expectStatus, messages, postUsage, settled, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

test('at period end plan credits renew, counters reset, the wallet carries over', async () => {
  const periodEnd = new Date(Date.now() + 3000).toISOString();
  const orgId = await createOrg(stack, {
    planCredits: 1000,
    periodEnd,
    autoRecharge: { thresholdCredits: 900, rechargeCredits: 500, maxRechargesPerMonth: 1 },
  });
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/agent-a`, stack.token('owner', orgId), { monthlyLimitCredits: 5000, whenPlanExhausted: 'stop' }), 200);
  await postUsage(stack, orgId, messages(290, 'agent-a'));
  await postUsage(stack, orgId, messages(10, 'agent-d'));
  const before = await settled(stack, orgId, (s) => s.autoRecharge.rechargesUsedThisMonth === 1);
  expect(before).toMatchObject({ planCredits: { allowance: 1000, remaining: 700 }, topUpCredits: 500 });
  expect(before.agents.map((a) => [a.id, a.spentThisMonth])).toEqual([
    ['agent-a', 290],
    ['agent-d', 10],
  ]);

  const after = await eventually(async () => {
    const s = await summary(stack, orgId);
    expect(s.nextRenewalAt).not.toBe(periodEnd);
    return s;
  });
  expect(after.planCredits).toEqual({ allowance: 1000, remaining: 1000 });
  expect(after.topUpCredits).toBe(500);
  expect(after.autoRecharge.rechargesUsedThisMonth).toBe(0);
  // A configured agent keeps its settings with its spend reset; one with defaults starts afresh
  // (it appears again on first use).
  expect(after.agents).toEqual([expect.objectContaining({ id: 'agent-a', spentThisMonth: 0, monthlyLimitCredits: 5000 })]);
  const end = new Date(periodEnd);
  const expectedNext = new Date(end);
  expectedNext.setUTCMonth(end.getUTCMonth() + 1);
  if (expectedNext.getUTCDate() !== end.getUTCDate()) expectedNext.setUTCDate(0); // clamp to the month's last day
  expect(after.nextRenewalAt).toBe(expectedNext.toISOString());

  const renewed = (await eventsOf(stack, orgId)).filter((e) => e.type === 'plan.renewed');
  expect(renewed).toHaveLength(1);
  const { rows } = await stack.db.query(
    "SELECT credits FROM ledger_entries WHERE org_id = $1 AND kind = 'plan_renewal' ORDER BY id",
    [orgId],
  );
  expect(rows.map((r) => r.credits)).toEqual([1000, 300]);
  await expectLedgerMatches(stack, orgId);
});

test('the same period end written another way is the same period: nothing resets', async () => {
  const ops = stack.token('ops');
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null, periodEnd: '2031-01-15T00:00:00Z' });
  await postUsage(stack, orgId, messages(300));
  for (const spelling of ['2031-01-15T00:00:00.000Z', '2031-01-15T01:00:00+01:00']) {
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/subscription`, ops, { status: 'active', planCredits: 1000, currentPeriodEnd: spelling }), 200);
  }
  const s = await settled(stack, orgId);
  expect(s.planCredits).toEqual({ allowance: 1000, remaining: 700 });
  expect(s.nextRenewalAt).toBe('2031-01-15T00:00:00.000Z');
  expect(s.agents[0].spentThisMonth).toBe(300);
});

test('lowering plan credits and raising them again in one period never gives spent plan credits back', async () => {
  const ops = stack.token('ops');
  const periodEnd = '2031-02-15T00:00:00.000Z';
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null, periodEnd });
  const setPlan = (planCredits: number, currentPeriodEnd = periodEnd) =>
    expectStatus(stack.http.put(`/v1/orgs/${orgId}/subscription`, ops, { status: 'active', planCredits, currentPeriodEnd }), 200);
  await postUsage(stack, orgId, messages(1000));
  for (const planCredits of [0, 1000, 0, 1000]) {
    await setPlan(planCredits);
    expect((await settled(stack, orgId)).planCredits).toEqual({ allowance: planCredits, remaining: 0 });
    await expectLedgerMatches(stack, orgId);
  }
  // Only what the allowance adds beyond the 1,000 used is new, however often the plan moves.
  await setPlan(1500);
  expect((await settled(stack, orgId)).planCredits).toEqual({ allowance: 1500, remaining: 500 });
  await postUsage(stack, orgId, messages(100));
  await setPlan(200);
  await setPlan(1500);
  expect((await settled(stack, orgId)).planCredits).toEqual({ allowance: 1500, remaining: 400 });
  await expectLedgerMatches(stack, orgId);

  // A new period starts from the whole allowance.
  await setPlan(1500, '2031-03-15T00:00:00.000Z');
  expect((await settled(stack, orgId)).planCredits).toEqual({ allowance: 1500, remaining: 1500 });
  await expectLedgerMatches(stack, orgId);
});

test('a subscription that is not active gives no plan credits within the period, and active again gives the allowance less what the period used', async () => {
  const ops = stack.token('ops');
  const currentPeriodEnd = '2031-02-15T00:00:00.000Z';
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null, periodEnd: currentPeriodEnd });
  const setSubscription = (status: string, planCredits: number) =>
    expectStatus(stack.http.put(`/v1/orgs/${orgId}/subscription`, ops, { status, planCredits, currentPeriodEnd }), 200);
  await postUsage(stack, orgId, messages(300));
  expect((await settled(stack, orgId)).planCredits.remaining).toBe(700);

  await setSubscription('past_due', 1000);
  expect((await settled(stack, orgId)).planCredits.remaining).toBe(0);
  // A plan change while past due (a Stripe quantity change, say) hands out nothing.
  await setSubscription('past_due', 2000);
  expect((await settled(stack, orgId)).planCredits.remaining).toBe(0);
  await expectLedgerMatches(stack, orgId);

  await setSubscription('active', 2000);
  expect((await settled(stack, orgId)).planCredits.remaining).toBe(1700);
  await expectLedgerMatches(stack, orgId);
});

test.each([
  ['plan credits beyond bigint', { status: 'active', planCredits: 2 ** 64, currentPeriodEnd: '2031-02-15T00:00:00.000Z' }],
  ['plan credits above the API bound', { status: 'active', planCredits: 1_000_000_001, currentPeriodEnd: '2031-02-15T00:00:00.000Z' }],
  ['fractional plan credits', { status: 'active', planCredits: 1.5, currentPeriodEnd: '2031-02-15T00:00:00.000Z' }],
  ['negative plan credits', { status: 'active', planCredits: -5, currentPeriodEnd: '2031-02-15T00:00:00.000Z' }],
  ['an unknown status', { status: 'paused', planCredits: 10, currentPeriodEnd: '2031-02-15T00:00:00.000Z' }],
  ['a period end that is no date', { status: 'active', planCredits: 10, currentPeriodEnd: 'soon' }],
  ['a period end past the year 9999', { status: 'active', planCredits: 10, currentPeriodEnd: '+275760-09-13T00:00:00.000Z' }],
])('a subscription update with %s is refused by the workflow, and the organization goes on', async (_name, subscription) => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null, periodEnd: '2031-02-15T00:00:00.000Z' });
  const handle = stack.client.workflow.getHandle(workflowIdFor(orgId));
  // Bounded: before the validator, such an update was taken in and its commit retried forever.
  const refused = await stack.client
    .withDeadline(Date.now() + 10_000, () => handle.executeUpdate(setSubscriptionUpdate, { args: [subscription as never] }))
    .catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'invalid_subscription' });
  expect((await summary(stack, orgId)).planCredits).toEqual({ allowance: 1000, remaining: 1000 });
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/subscription`, stack.token('ops'), { status: 'active', planCredits: 2000, currentPeriodEnd: '2031-02-15T00:00:00.000Z' }), 200);
  expect((await settled(stack, orgId)).planCredits).toEqual({ allowance: 2000, remaining: 2000 });
  await expectLedgerMatches(stack, orgId);
});

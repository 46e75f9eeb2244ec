// An organization whose workflow runs the previous design (billingOrgWorkflow, which held pools,
// agents and top-ups itself) moves over on its first request to the new API: it writes what it
// holds to PostgreSQL once and continues as orgBillingWorkflow, with no credit lost or doubled.
import { randomUUID } from 'node:crypto';
import type { BillingSummary } from '../../domain/summary';
import {
  billingSummaryQuery,
  configureAgentUpdate,
  configureAutoRechargeUpdate,
  recordsCommittedUpdate,
  setPaymentMethodUpdate,
  setSubscriptionUpdate,
  topUpUpdate,
  usageSignal,
} from '../../workflows/legacy/messages';
import { ORG_WORKFLOW_TYPE, workflowIdFor } from '../../workflows/messages';
import { handOverLegacyRuns } from '../../worker/handOverLegacyRuns';
import { eventsOf, expectLedgerMatches, expectStatus, inOneMonth, messages, postUsage, settled, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const priced = (count: number, agentId: string) =>
  messages(count, agentId).map((e) => ({ ...e, credits: e.quantity, occurredAt: new Date().toISOString() }));

/** An organization as the previous API left it: its row, and a running workflow of the previous design. */
async function legacyOrg() {
  const orgId = `legacy-${randomUUID().slice(0, 8)}`;
  await stack.db.query('INSERT INTO orgs (id, name) VALUES ($1, $2)', [orgId, `Legacy ${orgId}`]);
  const handle = await stack.client.workflow.start('billingOrgWorkflow', {
    taskQueue: stack.settings.temporal.taskQueue,
    workflowId: workflowIdFor(orgId),
    args: [{ orgId, rules: stack.settings.rules }],
  });
  return { orgId, handle };
}

test('a running workflow of the previous design hands its pools, agents, settings and top-ups over once', async () => {
  const { orgId, handle } = await legacyOrg();
  await handle.executeUpdate(setSubscriptionUpdate, { args: [{ status: 'active', planCredits: 1000, currentPeriodEnd: inOneMonth() }] });
  await handle.executeUpdate(setPaymentMethodUpdate, { args: ['pm_card_visa'] });
  await handle.executeUpdate(configureAgentUpdate, { args: ['capped', { monthlyLimitCredits: 50, whenPlanExhausted: 'stop' }] });
  const topUp = await handle.executeUpdate(topUpUpdate, { args: [{ idempotencyKey: 'legacy-key', credits: 500 }] });
  expect(topUp.status).toBe('succeeded');
  await handle.signal(usageSignal, priced(60, 'capped'));
  await handle.signal(usageSignal, priced(300, 'plain'));
  await handle.executeUpdate(configureAutoRechargeUpdate, { args: [{ enabled: true, thresholdCredits: 900, rechargeCredits: 500, maxRechargesPerMonth: 3 }] });
  await handle.executeUpdate(recordsCommittedUpdate);
  const before = await handle.query(billingSummaryQuery);
  // Usage the previous design had applied but possibly not yet committed when the hand-over comes.
  await handle.signal(usageSignal, priced(40, 'plain'));

  // The first request of the new API moves the organization over.
  const after = await summary(stack, orgId);
  expect(after.availableCredits).toBe(before.availableCredits - 40);
  expect(after.planCredits).toEqual({ allowance: 1000, remaining: before.planCredits.remaining - 40 });
  expect(after.topUpCredits).toBe(before.topUpCredits);
  expect(after.autoRecharge).toEqual(before.autoRecharge);
  expect(after.paymentMethod).toEqual({ id: 'pm_card_visa' });
  expect(after.nextRenewalAt).toBe(before.nextRenewalAt);
  expect(after.agents.map((a) => [a.id, a.spentThisMonth, a.monthlyLimitCredits, a.whenPlanExhausted, a.reason])).toEqual([
    ['capped', 60, 50, 'stop', 'agent_limit_reached'],
    ['plain', 340, null, 'use_balance', null],
  ]);
  await expectLedgerMatches(stack, orgId);
  await eventually(async () => {
    const d = await stack.client.workflow.getHandle(workflowIdFor(orgId)).describe();
    expect([d.type, d.status.name]).toEqual([ORG_WORKFLOW_TYPE, 'RUNNING']);
  });

  // A top-up key of the previous design answers with its top-up, with no second charge.
  const again = await expectStatus(stack.http.post(`/v1/orgs/${orgId}/top-ups`, stack.token('owner', orgId), { credits: 500 }, { 'idempotency-key': 'legacy-key' }), 201);
  expect(again.topUp).toEqual({ id: topUp.id, credits: 500, amountCents: 1000, status: 'succeeded' });

  // The new design goes on: usage through the API crosses the threshold and recharges.
  await postUsage(stack, orgId, messages(after.availableCredits - 899, 'plain'));
  const recharged = await settled(stack, orgId, (s) => s.autoRecharge.rechargesUsedThisMonth === before.autoRecharge.rechargesUsedThisMonth + 1);
  expect(recharged.availableCredits).toBe(899 + 500);
  await expectLedgerMatches(stack, orgId);
  const { rows } = await stack.db.query("SELECT count(*)::int AS n FROM sandbox_payment_intents WHERE org_id = $1", [orgId]);
  expect(rows[0].n).toBe(1 + recharged.autoRecharge.rechargesUsedThisMonth);
  expect((await eventsOf(stack, orgId)).map((e) => e.type)).toContain('subscription.updated');
});

test('an organization whose previous-design workflow no longer runs gets its balance from the ledger', async () => {
  const { orgId, handle } = await legacyOrg();
  await handle.executeUpdate(setSubscriptionUpdate, { args: [{ status: 'active', planCredits: 700, currentPeriodEnd: inOneMonth() }] });
  await handle.signal(usageSignal, priced(100, 'a'));
  await handle.executeUpdate(recordsCommittedUpdate);
  await handle.terminate('lost');
  const s: BillingSummary = await summary(stack, orgId);
  expect(s.availableCredits).toBe(600);
  await expectLedgerMatches(stack, orgId);
  await postUsage(stack, orgId, messages(10, 'a'));
  expect((await summary(stack, orgId)).availableCredits).toBe(590);
});

test('a worker at start asks every running workflow of the previous design to hand over', async () => {
  const { orgId, handle } = await legacyOrg();
  await handle.executeUpdate(setSubscriptionUpdate, { args: [{ status: 'active', planCredits: 300, currentPeriodEnd: inOneMonth() }] });
  // Visibility is eventually consistent: ask until the run is listed.
  await eventually(async () => (await handOverLegacyRuns(stack.client)) > 0);
  await eventually(async () => {
    const { rows } = await stack.db.query('SELECT plan_remaining FROM balances WHERE org_id = $1', [orgId]);
    return rows[0]?.plan_remaining === 300;
  });
  await eventually(async () => (await stack.client.workflow.getHandle(workflowIdFor(orgId)).describe()).type === ORG_WORKFLOW_TYPE);
});

test('a payment waiting for 3-D Secure in the previous design is credited once, by the present one', async () => {
  const { orgId, handle } = await legacyOrg();
  await handle.executeUpdate(setSubscriptionUpdate, { args: [{ status: 'active', planCredits: 100, currentPeriodEnd: inOneMonth() }] });
  await handle.executeUpdate(setPaymentMethodUpdate, { args: ['pm_card_authenticationRequired'] });
  const waiting = await handle.executeUpdate(topUpUpdate, { args: [{ idempotencyKey: 'carried-3ds', credits: 700 }] });
  expect(waiting.status).toBe('requires_action');
  await handle.executeUpdate(recordsCommittedUpdate);

  const moved = await summary(stack, orgId);
  expect(moved.pendingPayment).toMatchObject({ id: waiting.id, status: 'requires_action' });
  const intent = await stack.db.query('SELECT id FROM sandbox_payment_intents WHERE payment_id = $1', [waiting.id]);
  await expectStatus(stack.http.post(`/v1/sandbox/payment-intents/${intent.rows[0].id}/confirm`, stack.token('ops')), 200);
  const s = await settled(stack, orgId);
  expect(s.topUpCredits).toBe(700);
  const again = await expectStatus(stack.http.post(`/v1/orgs/${orgId}/top-ups`, stack.token('owner', orgId), { credits: 700 }, { 'idempotency-key': 'carried-3ds' }), 201);
  expect(again.topUp).toMatchObject({ id: waiting.id, status: 'succeeded' });
  const { rows } = await stack.db.query("SELECT count(*)::int AS n FROM ledger_entries WHERE org_id = $1 AND kind = 'top_up'", [orgId]);
  expect(rows[0].n).toBe(1);
  await expectLedgerMatches(stack, orgId);
});

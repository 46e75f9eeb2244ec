// Records workflow histories for the replay test: `npx tsx test/replay/record.ts <name> [scenario]`.
// Run it when releasing a workflow change; commit the files it writes to test/replay/histories/.
// The default scenario touches every path of the organization workflow: subscription, card,
// settings, usage, recharges, a decline, the backoff, top-ups with and without 3-D Secure,
// continue-as-new, a renewal and an allocation. `resumed-payment` terminates the workflow while a
// payment is in flight, twice, so that seeded runs take the payments up (resume-seeded-payment).
// `refunds-disputes`: an operator's refund, a dashboard refund, a dispute opened and won.
// `recharge-to-target`: a to_target crossing, then fixed again.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { findTemporalCli } from '../../worker/temporalCli';
import { workflowIdFor } from '../../workflows/messages';
import { createOrg, expectStatus, messages, postUsage, settled, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';
import globalSetup from '../setup/globalSetup';
import globalTeardown from '../setup/globalTeardown';

/** Every run of the organization's workflow chain, as the CLI writes the proto JSON that historyFromJSON reads. */
async function writeHistories(stack: Stack, orgId: string, name: string): Promise<void> {
  let runs = 0;
  for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(orgId)}'` })) {
    const json = execFileSync(findTemporalCli(process.env.TEMPORAL_CLI_PATH)!, [
      'workflow', 'show', '--address', process.env.TEST_TEMPORAL_ADDRESS!, '-w', run.workflowId, '-r', run.runId, '--output', 'json',
    ], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const file = path.join(__dirname, 'histories', `${name}-run${++runs}.json`);
    writeFileSync(file, json);
    console.log(`wrote ${file} (${JSON.parse(json).events.length} events)`);
  }
}

async function everyPath(name: string) {
  const stack = await startStack({ CONTINUE_AS_NEW_AFTER_EVENTS: '60', AUTO_RECHARGE_RETRY_DELAY_MS: '500' });
  try {
    const periodEnd = new Date(Date.now() + 8000).toISOString();
    const orgId = await createOrg(stack, { planCredits: 300, periodEnd, autoRecharge: { thresholdCredits: 200, rechargeCredits: 500, maxRechargesPerMonth: 3 } });
    const owner = stack.token('owner', orgId);
    for (let i = 0; i < 12; i++) await postUsage(stack, orgId, messages(40));
    await settled(stack, orgId);
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_chargeDeclined' }), 200);
    await postUsage(stack, orgId, messages(400));
    await eventually(async () => (await summary(stack, orgId)).autoRecharge.consecutiveFailures >= 2);
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' }), 200);
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/agents/agent-1`, owner, { monthlyLimitCredits: 5000, whenPlanExhausted: 'stop' }), 200);
    await settled(stack, orgId);
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_authenticationRequired' }), 200);
    const waiting = await expectStatus(stack.http.post(`/v1/orgs/${orgId}/top-ups`, owner, { credits: 600 }, { 'idempotency-key': 'record-3ds' }), 202);
    const intent = await stack.db.query('SELECT id FROM sandbox_payment_intents WHERE payment_id = $1', [waiting.topUp.id]);
    await expectStatus(stack.http.post(`/v1/sandbox/payment-intents/${intent.rows[0].id}/confirm`, stack.token('ops')), 200);
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' }), 200);
    await settled(stack, orgId);
    await expectStatus(stack.http.post(`/v1/orgs/${orgId}/top-ups`, owner, { credits: 500 }, { 'idempotency-key': 'record-plain' }), 201);
    await eventually(async () => (await summary(stack, orgId)).nextRenewalAt !== periodEnd, 20_000);
    await settled(stack, orgId);

    // An agency run: the allocation charge on this org, the notice to its sub-account.
    const sub = await createOrg(stack, { planCredits: 0, paymentMethodId: null, parentId: orgId });
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/sub-accounts/${sub}/auto-allocation`, owner, { basicMinutes: 10, premiumMinutes: 5 }), 200);
    await settled(stack, sub, (s) => s.topUpCredits > 0);
    await settled(stack, orgId);

    // Within a period: the subscription falls past due, then is active again with another plan.
    const currentPeriodEnd = (await summary(stack, orgId)).nextRenewalAt;
    for (const [status, planCredits] of [['past_due', 300], ['active', 400]] as const) {
      await expectStatus(stack.http.put(`/v1/orgs/${orgId}/subscription`, stack.token('ops'), { status, planCredits, currentPeriodEnd }), 200);
    }
    await settled(stack, orgId);

    await writeHistories(stack, orgId, name);
  } finally {
    await stack.stop();
  }
}

async function resumedPayment(name: string) {
  // Each charge takes a while at the provider, so the workflow can be terminated mid-charge.
  const stack = await startStack({ SANDBOX_CHARGE_DELAY_MS: '1500' });
  try {
    const orgId = await createOrg(stack, { planCredits: 100 });
    const owner = stack.token('owner', orgId);
    const handle = stack.client.workflow.getHandle(workflowIdFor(orgId));
    const topUp = (key: string) => stack.http.post(`/v1/orgs/${orgId}/top-ups`, owner, { credits: 500 }, { 'idempotency-key': key });
    const intents = async () => (await stack.db.query('SELECT id FROM sandbox_payment_intents WHERE org_id = $1 ORDER BY created_at', [orgId])).rows;

    // Terminated mid-charge; the key's retry starts a run that charges again and answers.
    const cutOff = topUp('record-cut-off');
    await eventually(async () => {
      if ((await intents()).length !== 1) throw new Error('the provider has not been asked yet');
    });
    await handle.terminate('recording: terminated mid-charge');
    await cutOff;
    await expectStatus(topUp('record-cut-off'), 201);
    await settled(stack, orgId);

    // Terminated while 3-D Secure waits; the customer's webhook starts a run that credits it.
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_authenticationRequired' }), 200);
    await expectStatus(topUp('record-3ds'), 202);
    await handle.terminate('recording: terminated while 3-D Secure waits');
    const waiting = (await intents())[1];
    await expectStatus(stack.http.post(`/v1/sandbox/payment-intents/${waiting.id}/confirm`, stack.token('ops')), 200);
    await settled(stack, orgId, (s) => s.topUpCredits === 1000);
    await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' }), 200);
    await expectStatus(topUp('record-after'), 201);

    await writeHistories(stack, orgId, name);
  } finally {
    await stack.stop();
  }
}

/** Refunds and disputes: an operator's refund, one made in the dashboard, a dispute opened and won. */
async function refundsAndDisputes(name: string) {
  const stack = await startStack();
  try {
    const orgId = await createOrg(stack, { planCredits: 0, autoRecharge: { thresholdCredits: 0, rechargeCredits: 500, maxRechargesPerMonth: 3 } });
    const owner = stack.token('owner', orgId);
    const ops = stack.token('ops');
    const topUp = async (key: string) => (await expectStatus(stack.http.post(`/v1/orgs/${orgId}/top-ups`, owner, { credits: 1000 }, { 'idempotency-key': key }), 201)).topUp.id as string;
    const intentOf = async (paymentId: string) => (await stack.db.query('SELECT id FROM sandbox_payment_intents WHERE payment_id = $1', [paymentId])).rows[0].id as string;
    const refunded = await topUp('record-refund');
    await expectStatus(stack.http.post(`/v1/orgs/${orgId}/payments/${refunded}/refunds`, ops, { credits: 300 }), 201);
    await expectStatus(stack.http.post(`/v1/sandbox/payment-intents/${await intentOf(refunded)}/refund`, ops, { amountCents: 400 }), 201);
    const disputed = await intentOf(await topUp('record-dispute'));
    await expectStatus(stack.http.post(`/v1/sandbox/payment-intents/${disputed}/dispute`, ops, {}), 201);
    await expectStatus(stack.http.post(`/v1/sandbox/payment-intents/${disputed}/dispute/close`, ops, { status: 'won' }), 200);
    await settled(stack, orgId);
    await writeHistories(stack, orgId, name);
  } finally {
    await stack.stop();
  }
}

/** Recharge to a target (patch recharge-to-target): a crossing, the cap forecast after it, then back to fixed. */
async function rechargeToTarget(name: string) {
  const stack = await startStack();
  try {
    const orgId = await createOrg(stack, { planCredits: 1000 });
    const owner = stack.token('owner', orgId);
    const save = (body: object) => expectStatus(stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, owner, { enabled: true, thresholdCredits: 500, maxRechargesPerMonth: 3, ...body }), 200);
    await save({ mode: 'to_target', targetCredits: 3000 });
    await postUsage(stack, orgId, messages(650));
    await settled(stack, orgId, (s) => s.autoRecharge.rechargesUsedThisMonth === 1);
    await save({ mode: 'fixed', rechargeCredits: 600 });
    for (const count of [1000, 1000, 600]) await postUsage(stack, orgId, messages(count));
    await settled(stack, orgId, (s) => s.autoRecharge.rechargesUsedThisMonth === 2);
    await writeHistories(stack, orgId, name);
  } finally {
    await stack.stop();
  }
}

const SCENARIOS: Record<string, (name: string) => Promise<void>> = {
  'every-path': everyPath,
  'resumed-payment': resumedPayment,
  'refunds-disputes': refundsAndDisputes,
  'recharge-to-target': rechargeToTarget,
};

async function main(name: string, scenario: string) {
  const record = SCENARIOS[scenario];
  if (!record) throw new Error(`unknown scenario ${scenario}: one of ${Object.keys(SCENARIOS).join(', ')}`);
  await globalSetup();
  try {
    await record(name);
  } finally {
    await globalTeardown();
  }
}

main(process.argv[2] ?? 'billing-org', process.argv[3] ?? 'every-path').catch((err) => {
  console.error(err);
  process.exit(1);
});

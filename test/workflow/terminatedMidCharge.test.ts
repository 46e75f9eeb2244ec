// A workflow terminated while a payment was in flight: the run that takes over (seeded from
// PostgreSQL) charges again under the payment's own id, which the provider answers with the intent
// it made, and settles it once; a payment waiting for 3-D Secure goes on being reconciled.
import { workflowIdFor } from '../../workflows/messages';
import { createOrg, eventsOf, expectLedgerMatches, expectStatus, settled, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  // Every charge takes 2 s at the provider, long enough to terminate the workflow mid-charge;
  // reconciliation far away, so only the new run's own re-read can settle a waiting payment.
  stack = await startStack({ SANDBOX_CHARGE_DELAY_MS: '2000', PAYMENT_RECONCILE_INTERVAL_MS: '600000' });
});
afterAll(() => stack.stop());

const topUp = (orgId: string, key: string, credits = 500) => stack.http.post(`/v1/orgs/${orgId}/top-ups`, stack.token('owner', orgId), { credits }, { 'idempotency-key': key });

async function ledgerEntriesFor(orgId: string, ref: string): Promise<number> {
  const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM ledger_entries WHERE org_id = $1 AND ref = $2', [orgId, ref]);
  return rows[0].n;
}

/** The intent the provider made and is still answering for (the charge takes 2 s). */
async function chargingIntent(orgId: string): Promise<{ id: string; payment_id: string }> {
  return eventually(async () => {
    const { rows } = await stack.db.query('SELECT id, payment_id FROM sandbox_payment_intents WHERE org_id = $1', [orgId]);
    expect(rows).toHaveLength(1);
    return rows[0];
  });
}

async function terminate(orgId: string): Promise<void> {
  const handle = stack.client.workflow.getHandle(workflowIdFor(orgId));
  await handle.terminate('terminated by an operator mid-payment');
  await eventually(async () => expect((await handle.describe()).status.name).toBe('TERMINATED'));
}

test('a top-up whose workflow was terminated mid-charge is credited once by the next run, and later top-ups work', async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  const first = topUp(orgId, 'first');
  const charging = await chargingIntent(orgId);
  await terminate(orgId);
  expect((await first).status).not.toBe(201);
  expect((await summary(stack, orgId)).pendingPayment).toMatchObject({ id: charging.payment_id, status: 'processing', paymentIntentId: null });

  // The next command starts a new run; it settles the payment left in flight on its own.
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, stack.token('owner', orgId), { paymentMethodId: 'pm_card_visa' }), 200);
  const s = await settled(stack, orgId, (x) => x.topUpCredits === 500);
  expect(s.pendingPayment).toBeNull();
  expect(await ledgerEntriesFor(orgId, charging.payment_id)).toBe(1);
  const { rows: intents } = await stack.db.query('SELECT id, status FROM sandbox_payment_intents WHERE org_id = $1', [orgId]);
  expect(intents).toEqual([{ id: charging.id, status: 'succeeded' }]);
  expect((await eventsOf(stack, orgId)).filter((e) => e.type === 'top_up.succeeded').map((e) => e.data.paymentId)).toEqual([charging.payment_id]);

  // The first top-up's key answers with it, credited once; a new key charges again.
  expect(await expectStatus(topUp(orgId, 'first'), 201)).toMatchObject({ topUp: { id: charging.payment_id, status: 'succeeded', credits: 500 } });
  await expectStatus(topUp(orgId, 'second'), 201);
  expect((await settled(stack, orgId)).topUpCredits).toBe(1000);
  expect(await ledgerEntriesFor(orgId, charging.payment_id)).toBe(1);
  await expectLedgerMatches(stack, orgId);
});

test('retried with its Idempotency-Key, a top-up cut off mid-charge answers once it is credited', async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  const first = topUp(orgId, 'retried');
  const { payment_id: paymentId } = await chargingIntent(orgId);
  await terminate(orgId);
  await first;

  // The client's retry starts the new run and waits for the payment it began.
  expect(await expectStatus(topUp(orgId, 'retried'), 201)).toMatchObject({ topUp: { id: paymentId, status: 'succeeded', credits: 500 } });
  expect((await settled(stack, orgId)).topUpCredits).toBe(500);
  expect(await ledgerEntriesFor(orgId, paymentId)).toBe(1);
  await expectLedgerMatches(stack, orgId);
});

async function waitingForAuthentication(key: string): Promise<{ orgId: string; paymentId: string; intentId: string }> {
  const orgId = await createOrg(stack, { planCredits: 0, paymentMethodId: 'pm_card_authenticationRequired' });
  const waiting = await expectStatus(topUp(orgId, key), 202);
  expect(waiting.topUp.status).toBe('requires_action');
  const { rows } = await stack.db.query('SELECT id FROM sandbox_payment_intents WHERE org_id = $1', [orgId]);
  await terminate(orgId);
  return { orgId, paymentId: waiting.topUp.id, intentId: rows[0].id };
}

test('the webhook of a payment authenticated while its workflow was terminated starts the next run, which credits it once', async () => {
  const { orgId, paymentId, intentId } = await waitingForAuthentication('webhook');
  expect(await expectStatus(stack.http.post(`/v1/sandbox/payment-intents/${intentId}/confirm`, stack.token('ops')), 200)).toMatchObject({ webhookDelivered: true });
  await settled(stack, orgId, (x) => x.topUpCredits === 500);
  expect(await ledgerEntriesFor(orgId, paymentId)).toBe(1);
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, stack.token('owner', orgId), { paymentMethodId: 'pm_card_visa' }), 200);
  await expectStatus(topUp(orgId, 'after-webhook'), 201);
  expect((await settled(stack, orgId)).topUpCredits).toBe(1000);
  await expectLedgerMatches(stack, orgId);
});

test('a payment waiting for 3-D Secure when its workflow was terminated is re-read at once by the next run, with no webhook', async () => {
  const { orgId, paymentId, intentId } = await waitingForAuthentication('no-webhook');
  // The customer authenticated; the provider's webhook never came.
  await stack.db.query("UPDATE sandbox_payment_intents SET status = 'succeeded' WHERE id = $1", [intentId]);
  expect((await summary(stack, orgId)).pendingPayment?.status).toBe('requires_action');

  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, stack.token('owner', orgId), { paymentMethodId: 'pm_card_visa' }), 200);
  await settled(stack, orgId, (x) => x.topUpCredits === 500);
  expect(await ledgerEntriesFor(orgId, paymentId)).toBe(1);
  await expectStatus(topUp(orgId, 'after-reread'), 201);
  expect((await settled(stack, orgId)).topUpCredits).toBe(1000);
  await expectLedgerMatches(stack, orgId);
});

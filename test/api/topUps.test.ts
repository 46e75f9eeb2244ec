// POST /v1/orgs/:org/top-ups: Owner only, a card on file, a minimum, and an Idempotency-Key that
// makes every retry answer the same top-up without a second charge.
import { createOrg, eventsOf, expectLedgerMatches, expectStatus, settled, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';
import { expectError } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const topUp = (orgId: string, token: string, body: unknown, key: string | null = 'key-1') =>
  stack.http.post(`/v1/orgs/${orgId}/top-ups`, token, body, key === null ? {} : { 'idempotency-key': key });

async function intentCount(orgId: string): Promise<number> {
  const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM sandbox_payment_intents WHERE org_id = $1', [orgId]);
  return rows[0].n;
}

test('a top-up charges once per Idempotency-Key, credits the wallet and never counts toward the cap', async () => {
  const orgId = await createOrg(stack, { planCredits: 0, autoRecharge: { thresholdCredits: 0, rechargeCredits: 500, maxRechargesPerMonth: 1 } });
  const owner = stack.token('owner', orgId);
  const first = await expectStatus(topUp(orgId, owner, { credits: 500 }), 201);
  expect(first).toEqual({ topUp: { id: expect.stringMatching(/^pay_/), credits: 500, amountCents: 1000, status: 'succeeded' }, message: 'Credits topped up successfully.' });
  const [again, concurrentA, concurrentB] = await Promise.all([
    expectStatus(topUp(orgId, owner, { credits: 500 }), 201),
    expectStatus(topUp(orgId, owner, { credits: 500 }), 201),
    expectStatus(topUp(orgId, owner, { credits: 500 }), 201),
  ]);
  expect([again, concurrentA, concurrentB]).toEqual([first, first, first]);
  expect(await intentCount(orgId)).toBe(1);

  const s = await settled(stack, orgId);
  expect(s.topUpCredits).toBe(500);
  expect(s.autoRecharge.rechargesUsedThisMonth).toBe(0);
  expect((await eventsOf(stack, orgId)).filter((e) => e.type === 'top_up.succeeded')).toHaveLength(1);
  await expectLedgerMatches(stack, orgId);

  expectError(await topUp(orgId, owner, { credits: 600 }), 409, 'idempotency_key_conflict');
  await expectStatus(topUp(orgId, owner, { credits: 600 }, 'key-2'), 201);
  expect((await summary(stack, orgId)).topUpCredits).toBe(1100);
});

test('a declined top-up answers 402 with the decline code and credits nothing', async () => {
  const orgId = await createOrg(stack, { planCredits: 0, paymentMethodId: 'pm_card_chargeDeclinedInsufficientFunds' });
  const owner = stack.token('owner', orgId);
  const res = await topUp(orgId, owner, { credits: 500 });
  expect(res.status).toBe(402);
  expect(res.body).toEqual({ error: { code: 'card_declined', message: 'Your card has insufficient funds.', declineCode: 'insufficient_funds' } });
  // The same key answers the same outcome without charging again.
  expect((await topUp(orgId, owner, { credits: 500 })).status).toBe(402);
  expect(await intentCount(orgId)).toBe(1);
  const s = await settled(stack, orgId);
  expect(s.topUpCredits).toBe(0);
  expect((await eventsOf(stack, orgId)).filter((e) => e.type === 'top_up.failed')).toHaveLength(1);
});

test('refusals: not the owner, no card, no key, below the minimum, a payment in flight', async () => {
  const orgId = await createOrg(stack, { planCredits: 0, paymentMethodId: null });
  const owner = stack.token('owner', orgId);
  expectError(await topUp(orgId, stack.token('member', orgId), { credits: 500 }), 403, 'owner_required');
  expectError(await topUp(orgId, stack.token('ops'), { credits: 500 }), 403, 'owner_required');
  expectError(await topUp(orgId, owner, { credits: 500 }, null), 400, 'idempotency_key_required');
  expectError(await topUp(orgId, owner, { credits: 500 }, 'bad key!'), 422, 'validation_failed');
  expectError(await topUp(orgId, owner, { credits: 499 }), 422, 'validation_failed');
  expectError(await topUp(orgId, owner, { credits: 500 }), 409, 'payment_method_required');

  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_authenticationRequired' }), 200);
  await expectStatus(topUp(orgId, owner, { credits: 500 }, 'waits'), 202);
  expectError(await topUp(orgId, owner, { credits: 500 }, 'second'), 409, 'payment_in_flight');
  expect(await intentCount(orgId)).toBe(1);
});

test('the same key sent again while the first is charging answers where it stands, with the client secret once there is one', async () => {
  const orgId = await createOrg(stack, { planCredits: 0, paymentMethodId: 'pm_card_authenticationRequired' });
  const owner = stack.token('owner', orgId);
  const [a, b] = await Promise.all([topUp(orgId, owner, { credits: 500 }, 'twice'), topUp(orgId, owner, { credits: 500 }, 'twice')]);
  for (const answer of [a, b]) {
    expect(answer.status).toBe(202);
    expect(answer.body.topUp).toEqual({ id: expect.stringMatching(/^pay_/), credits: 500, amountCents: 1000, status: 'requires_action', clientSecret: expect.stringMatching(/_secret_/) });
  }
  expect(a.body.topUp).toEqual(b.body.topUp);
  expect(await intentCount(orgId)).toBe(1);
});

test('a key answers with its top-up from PostgreSQL, for good: even with no worker to ask', async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  const owner = stack.token('owner', orgId);
  const keys = Array.from({ length: 5 }, (_, i) => `kept-${i}`);
  const first: any[] = [];
  for (const key of keys) first.push(await expectStatus(topUp(orgId, owner, { credits: 500 }, key), 201));
  const { rows } = await stack.db.query('SELECT idempotency_key FROM top_ups WHERE org_id = $1 ORDER BY idempotency_key', [orgId]);
  expect(rows.map((r) => r.idempotency_key)).toEqual(keys);

  stack.worker.shutdown();
  await eventually(() => stack.worker.getState() === 'STOPPED');
  for (const [i, key] of keys.entries()) expect(await expectStatus(topUp(orgId, owner, { credits: 500 }, key), 201)).toEqual(first[i]);
  expectError(await topUp(orgId, owner, { credits: 600 }, keys[0]), 409, 'idempotency_key_conflict');
  expect(await intentCount(orgId)).toBe(5);
  expect((await summary(stack, orgId)).topUpCredits).toBe(2500);
});

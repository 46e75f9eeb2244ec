// Auto-recharge on a real worker: threshold trigger, threshold sync, monthly cap, one payment in flight.
import { createOrg, enableAutoRecharge, eventsOf, expectLedgerMatches, expectStatus, messages, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

const CHARGE_DELAY_MS = 300;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ SANDBOX_CHARGE_DELAY_MS: String(CHARGE_DELAY_MS) });
});
afterAll(() => stack.stop());

async function intents(orgId: string) {
  const { rows } = await stack.db.query<{ amount_cents: number; created_at: Date; idempotency_key: string }>(
    'SELECT amount_cents, created_at, idempotency_key FROM sandbox_payment_intents WHERE org_id = $1 ORDER BY created_at',
    [orgId],
  );
  return rows;
}

test('a debit that takes available below the threshold charges the card and credits the top-up pool', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, autoRecharge: { thresholdCredits: 500, rechargeCredits: 1000, maxRechargesPerMonth: 5 } });
  await postUsage(stack, orgId, messages(400));
  expect((await settled(stack, orgId)).autoRecharge.rechargesUsedThisMonth).toBe(0);

  await postUsage(stack, orgId, messages(200));
  const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s.topUpCredits).toBe(1000);
  expect(s.availableCredits).toBe(1400);
  expect(s.autoRecharge.lastRechargedAt).not.toBeNull();
  expect((await intents(orgId)).map((i) => i.amount_cents)).toEqual([2000]);
  const events = await eventsOf(stack, orgId);
  expect(events.filter((e) => e.type === 'balance.low')).toEqual([expect.objectContaining({ data: { availableCredits: 400, thresholdCredits: 500 } })]);
  const succeeded = events.filter((e) => e.type === 'auto_recharge.succeeded');
  expect(succeeded).toHaveLength(1);
  expect(succeeded[0].message).toBe('Credits topped up successfully.');
  const ledger = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/ledger`, stack.token('ops')), 200);
  expect(ledger.entries.filter((e: any) => e.kind === 'auto_recharge')).toEqual([
    expect.objectContaining({ pool: 'wallet', credits: 1000, ref: expect.stringMatching(/^pay_/) }),
  ]);
  await expectLedgerMatches(stack, orgId);
});

test('organizations started together charge under payment ids of their own (the provider idempotency key)', async () => {
  const orgIds = await Promise.all(
    Array.from({ length: 12 }, () => createOrg(stack, { planCredits: 100, autoRecharge: { thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 5 } })),
  );
  await Promise.all(orgIds.map((orgId) => postUsage(stack, orgId, messages(60))));
  for (const orgId of orgIds) {
    const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
    expect(s.topUpCredits).toBe(500);
    await expectLedgerMatches(stack, orgId);
    // The key carries the whole run id (the first run: nothing continued as new), not only its UUIDv7 millisecond.
    const { runId } = await stack.client.workflow.getHandle(`billing-org-${orgId}`).describe();
    expect((await intents(orgId)).map((i) => i.idempotency_key)).toEqual([`pay_${runId.replace(/-/g, '')}_1`]);
  }
});

test('saving settings below the threshold recharges at once, repeatedly until at or above it', async () => {
  const orgId = await createOrg(stack, { planCredits: 100 });
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 2000, rechargeCredits: 500, maxRechargesPerMonth: 10 });
  const s = await settled(stack, orgId, (x) => x.availableCredits >= 2000);
  expect(s.autoRecharge.rechargesUsedThisMonth).toBe(4);
  expect(s.availableCredits).toBe(2100);
  expect(await intents(orgId)).toHaveLength(4);
  await expectLedgerMatches(stack, orgId);
});

test('at most one payment is in flight: each charge starts only after the previous one finished', async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 3000, rechargeCredits: 500, maxRechargesPerMonth: 20 });
  // Usage keeps arriving while charges run; none of it may start a second payment.
  await Promise.all(Array.from({ length: 5 }, () => postUsage(stack, orgId, messages(50))));
  const s = await settled(stack, orgId, (x) => x.availableCredits >= 3000);
  const rows = await intents(orgId);
  expect(rows).toHaveLength(s.autoRecharge.rechargesUsedThisMonth);
  for (let i = 1; i < rows.length; i++) {
    expect(rows[i].created_at.getTime() - rows[i - 1].created_at.getTime()).toBeGreaterThanOrEqual(CHARGE_DELAY_MS - 5);
  }
  await expectLedgerMatches(stack, orgId);
});

test('the monthly cap stops auto-recharge and is announced once', async () => {
  const orgId = await createOrg(stack, { planCredits: 100 });
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 2000, rechargeCredits: 500, maxRechargesPerMonth: 2 });
  let s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 2);
  expect(s.availableCredits).toBe(1100);

  await postUsage(stack, orgId, messages(300));
  s = await settled(stack, orgId);
  expect(s.autoRecharge.rechargesUsedThisMonth).toBe(2);
  expect(s.availableCredits).toBe(800);
  expect(await intents(orgId)).toHaveLength(2);
  const capEvents = (await eventsOf(stack, orgId)).filter((e) => e.type === 'auto_recharge.cap_reached');
  expect(capEvents).toHaveLength(1);
  expect(capEvents[0].message).toContain('2/2 recharges');
});

test('a manual settings save never charges above the threshold', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, autoRecharge: { thresholdCredits: 1000, rechargeCredits: 500, maxRechargesPerMonth: 3 } });
  const s = await settled(stack, orgId);
  expect(s.autoRecharge.rechargesUsedThisMonth).toBe(0);
  expect(await intents(orgId)).toHaveLength(0);
});

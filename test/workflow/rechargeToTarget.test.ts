// Recharge to a target on a real worker: a crossing charges max(minimum top-up, target − available)
// once, from the balance the workflow read; saving below the threshold buys up to the target in one
// recharge. Prices from the price book (minimum top-up 500, 2,000 cents per 1,000 credits).
import { topUpAmountCents } from '../../domain/pricing';
import { createOrg, eventsOf, expectLedgerMatches, expectStatus, messages, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const toTarget = (orgId: string, thresholdCredits: number, targetCredits: number) =>
  expectStatus(
    stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, stack.token('owner', orgId), { enabled: true, mode: 'to_target', thresholdCredits, targetCredits, maxRechargesPerMonth: 5 }),
    200,
  );

async function charges(orgId: string) {
  const intents = await stack.db.query<{ amount_cents: number }>('SELECT amount_cents FROM sandbox_payment_intents WHERE org_id = $1 ORDER BY created_at', [orgId]);
  const ledger = await expectStatus(stack.http.get<{ entries: Array<{ kind: string; credits: number }> }>(`/v1/orgs/${orgId}/ledger`, stack.token('ops')), 200);
  return { cents: intents.rows.map((r) => r.amount_cents), credits: ledger.entries.filter((e) => e.kind === 'auto_recharge').map((e) => e.credits) };
}

test('crossing the threshold charges target − available, once', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  await toTarget(orgId, 500, 3000);
  await postUsage(stack, orgId, messages(400)); // 600: above the threshold
  expect((await settled(stack, orgId)).autoRecharge).toMatchObject({ rechargesUsedThisMonth: 0, mode: 'to_target', targetCredits: 3000 });

  await postUsage(stack, orgId, messages(250)); // 350: buys 3,000 − 350 = 2,650
  const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s.availableCredits).toBe(3000);
  expect(s.topUpCredits).toBe(2650);
  const price = stack.settings.rules.creditPricePer1000Cents;
  expect(await charges(orgId)).toEqual({ cents: [topUpAmountCents(2650, price)], credits: [2650] });
  const succeeded = (await eventsOf(stack, orgId)).filter((e) => e.type === 'auto_recharge.succeeded');
  expect(succeeded).toHaveLength(1);
  await expectLedgerMatches(stack, orgId);
});

test('a crossing just below a near target buys the minimum top-up', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  await toTarget(orgId, 500, 700);
  await postUsage(stack, orgId, messages(550)); // 450: 700 − 450 = 250 < 500, so 500
  const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s.availableCredits).toBe(950);
  expect((await charges(orgId)).credits).toEqual([500]);
  await expectLedgerMatches(stack, orgId);
});

test('saving to_target below the threshold recharges once, up to the target', async () => {
  const orgId = await createOrg(stack, { planCredits: 100 });
  await toTarget(orgId, 2000, 5000);
  const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s.availableCredits).toBe(5000);
  expect((await charges(orgId)).credits).toEqual([4900]);
  await expectLedgerMatches(stack, orgId);
});

// Usage through the API into the ledger: pricing from the price book, spend order, debt, and exactly-once per event id.
import { createOrg, expectLedgerMatches, expectStatus, postUsage, settled, summary } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

async function ledgerFor(orgId: string, ref: string) {
  const { rows } = await stack.db.query('SELECT pool, credits, kind FROM ledger_entries WHERE org_id = $1 AND ref = $2 ORDER BY pool', [orgId, ref]);
  return rows;
}

test('meters are priced per event as ceil(quantity * credits / per)', async () => {
  const orgId = await createOrg(stack, { planCredits: 10_000, paymentMethodId: null });
  await postUsage(stack, orgId, [
    { id: 'p61', agentId: 'a', meter: 'call.premium', quantity: 61 }, // 61*8/60 = 8.13 -> 9
    { id: 'b121', agentId: 'a', meter: 'call.basic', quantity: 121 }, // 121*9/120 = 9.07 -> 10
    { id: 'n1', agentId: 'b', meter: 'call.no_widget', quantity: 1 }, // 9/60 -> 1
    { id: 'm1', agentId: 'b', meter: 'message', quantity: 3 }, // 3
  ]);
  const s = await summary(stack, orgId);
  expect(s.planCredits.remaining).toBe(10_000 - 23);
  expect(s.agents).toEqual([
    expect.objectContaining({ id: 'a', spentThisMonth: 19 }),
    expect.objectContaining({ id: 'b', spentThisMonth: 4 }),
  ]);
  await expectLedgerMatches(stack, orgId);
});

test('plan credits are spent first, then the wallet, which goes into debt rather than lose usage', async () => {
  const orgId = await createOrg(stack, { planCredits: 5, paymentMethodId: null });
  await postUsage(stack, orgId, [{ id: 'split', agentId: 'a', meter: 'call.premium', quantity: 60 }]); // 8 credits
  const s = await settled(stack, orgId);
  expect(s.planCredits.remaining).toBe(0);
  expect(s.topUpCredits).toBe(-3);
  expect(s.availableCredits).toBe(-3);
  expect(await ledgerFor(orgId, 'split')).toEqual([
    { pool: 'plan', credits: -5, kind: 'usage' },
    { pool: 'wallet', credits: -3, kind: 'usage' },
  ]);
  await expectLedgerMatches(stack, orgId);
});

test('a usage event id is applied once, however often it is delivered', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  const event = { id: 'once', agentId: 'a', meter: 'message', quantity: 7 };
  await postUsage(stack, orgId, [event, event]);
  await postUsage(stack, orgId, [event]);
  await Promise.all([postUsage(stack, orgId, [event]), postUsage(stack, orgId, [event])]);
  const s = await expectLedgerMatches(stack, orgId);
  expect(s.planCredits.remaining).toBe(993);
  expect(await ledgerFor(orgId, 'once')).toHaveLength(1);
});

test('a read after 202 reflects the usage', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  for (let i = 0; i < 5; i++) {
    await postUsage(stack, orgId, [{ id: `ryw-${i}`, agentId: 'a', meter: 'message', quantity: 10 }]);
    expect((await summary(stack, orgId)).availableCredits).toBe(1000 - 10 * (i + 1));
    const ledger = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/ledger?limit=1`, stack.token('ops')), 200);
    expect(ledger.entries[0]).toMatchObject({ kind: 'usage', ref: `ryw-${i}`, credits: -10 });
  }
});

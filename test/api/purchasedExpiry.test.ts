// PURCHASED_CREDITS_EXPIRE_AFTER_DAYS: each top-up, auto-recharge and allocation becomes a paid grant expiring
// that many days after payment instead of going to the wallet; a refund takes from that grant
// first, then the wallet; the ledger sum of every pool and grant stays its balance.
import { createOrg, enableAutoRecharge, expectLedgerMatches, expectStatus, messages, postUsage, settled, summary } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ PURCHASED_CREDITS_EXPIRE_AFTER_DAYS: '30' });
});
afterAll(() => stack.stop());

const DAY = 86_400_000;
const ops = () => stack.token('ops');

test('a top-up is a paid grant expiring in 30 days; a refund takes from it first, then the wallet', async () => {
  const orgId = await createOrg(stack, { planCredits: 0 });
  const before = Date.now();
  const paid = await expectStatus(stack.http.post(`/v1/orgs/${orgId}/top-ups`, stack.token('owner', orgId), { credits: 1000 }, { 'idempotency-key': 'expiring-1' }), 201);
  const paymentId = paid.topUp.id as string;
  const { grants } = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/credit-grants`, ops()), 200);
  expect(grants).toHaveLength(1);
  expect(grants[0]).toMatchObject({ id: `grant_${paymentId}`, category: 'paid', credits: 1000, remaining: 1000, status: 'active' });
  const expiresAt = Date.parse(grants[0].expiresAt);
  expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * DAY - 60_000);
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * DAY);
  let s = await summary(stack, orgId);
  expect(s).toMatchObject({ availableCredits: 1000, grantCredits: 1000, topUpCredits: 0, nextExpiry: { credits: 1000 } });

  // 700 spent from the grant: a refund of 500 credits takes its 300 left, then 200 from the wallet.
  await postUsage(stack, orgId, messages(700));
  await expectStatus(stack.http.post(`/v1/orgs/${orgId}/payments/${paymentId}/refunds`, ops(), { credits: 500 }), 201);
  s = await expectLedgerMatches(stack, orgId);
  expect(s).toMatchObject({ availableCredits: 1000 - 700 - 500, grantCredits: 0, topUpCredits: -200 });
  const { rows } = await stack.db.query("SELECT pool, credits, grant_id FROM ledger_entries WHERE org_id = $1 AND kind = 'refund' ORDER BY pool", [orgId]);
  expect(rows).toEqual([
    { pool: 'grant', credits: -300, grant_id: `grant_${paymentId}` },
    { pool: 'wallet', credits: -200, grant_id: null },
  ]);
  const grant = (await expectStatus(stack.http.get(`/v1/orgs/${orgId}/credit-grants`, ops()), 200)).grants[0];
  expect(grant).toMatchObject({ remaining: 0, refunded: 300 });
});

test('an auto-recharge is a paid grant too', async () => {
  const orgId = await createOrg(stack, { planCredits: 100 });
  await enableAutoRecharge(stack, orgId, { thresholdCredits: 50, rechargeCredits: 1000, maxRechargesPerMonth: 2 });
  await postUsage(stack, orgId, messages(60));
  const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s).toMatchObject({ availableCredits: 1040, grantCredits: 1000, topUpCredits: 0 });
  const { rows } = await stack.db.query("SELECT pool, credits FROM ledger_entries WHERE org_id = $1 AND kind = 'auto_recharge'", [orgId]);
  expect(rows).toEqual([{ pool: 'grant', credits: 1000 }]);
  await expectLedgerMatches(stack, orgId);
});

test("an allocation is a paid grant of the sub-account's, expiring like a purchase", async () => {
  const agency = await createOrg(stack, { planCredits: 0 });
  const sub = await createOrg(stack, { planCredits: 0, paymentMethodId: null, parentId: agency });
  const before = Date.now();
  // 100 basic minutes: 450 credits, paid by the agency's card.
  await expectStatus(stack.http.put(`/v1/orgs/${agency}/sub-accounts/${sub}/auto-allocation`, stack.token('owner', agency), { basicMinutes: 100, premiumMinutes: 0 }), 200);
  const s = await settled(stack, sub, (x) => x.grantCredits === 450);
  expect(s).toMatchObject({ availableCredits: 450, topUpCredits: 0 });
  const { grants } = await expectStatus(stack.http.get(`/v1/orgs/${sub}/credit-grants`, ops()), 200);
  expect(grants).toEqual([expect.objectContaining({ category: 'paid', credits: 450, remaining: 450, status: 'active' })]);
  expect(grants[0].id).toMatch(/^grant_pay_/);
  expect(Date.parse(grants[0].expiresAt)).toBeGreaterThanOrEqual(before + 30 * DAY - 60_000);
  const { rows } = await stack.db.query("SELECT pool, credits, grant_id FROM ledger_entries WHERE org_id = $1 AND kind = 'allocation'", [sub]);
  expect(rows).toEqual([{ pool: 'grant', credits: 450, grant_id: grants[0].id }]);
  // The agency's own credits are untouched.
  expect(await summary(stack, agency)).toMatchObject({ availableCredits: 0, grantCredits: 0 });
  await expectLedgerMatches(stack, sub);
});

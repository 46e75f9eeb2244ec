// Ledger and events through HTTP (spec §8, §9): shapes, newest first, cursor pagination; billing summary shape (§10).
import { createOrg, expectStatus, messages, postUsage, summary } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';
import { expectError, sortedKeys } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

type Page = { items: Array<{ id: string }>; nextCursor: string | null };

async function page(orgId: string, what: 'ledger' | 'events', query: string): Promise<Page> {
  const body = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/${what}?${query}`, stack.token('ops')), 200);
  expect(sortedKeys(body)).toEqual([what === 'ledger' ? 'entries' : 'events', 'nextCursor'].sort());
  return { items: what === 'ledger' ? body.entries : body.events, nextCursor: body.nextCursor };
}

/** Follows nextCursor from the first page to the end; every page but the last is full. */
async function walk(orgId: string, what: 'ledger' | 'events', limit: number) {
  const items: Array<{ id: string }> = [];
  let current = await page(orgId, what, `limit=${limit}`);
  for (let pages = 1; ; pages++) {
    items.push(...current.items);
    if (current.nextCursor === null) break;
    expect(current.items).toHaveLength(limit);
    expect(current.nextCursor).toEqual(expect.any(String));
    expect(pages).toBeLessThan(100);
    current = await page(orgId, what, `limit=${limit}&cursor=${encodeURIComponent(current.nextCursor)}`);
  }
  return items;
}

const expectNewestFirst = (items: Array<{ id: string }>) => {
  const ids = items.map((i) => Number(i.id));
  expect(ids).toEqual([...ids].sort((a, b) => b - a));
};

test('ledger entries have exactly {id, orgId, at, kind, pool, credits, ref, grantId}, newest first', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  const events = messages(3);
  for (const e of events) await postUsage(stack, orgId, [e]);
  const first = await page(orgId, 'ledger', 'limit=2');
  expect(first.items).toHaveLength(2);
  expect(first.nextCursor).toEqual(expect.any(String));
  for (const entry of first.items as any[]) {
    expect(sortedKeys(entry)).toEqual(['at', 'credits', 'grantId', 'id', 'kind', 'orgId', 'pool', 'ref']);
    expect(entry).toMatchObject({ id: expect.any(String), orgId, kind: 'usage', pool: 'plan', credits: -1 });
    expect(Number.isNaN(Date.parse(entry.at))).toBe(false);
  }
  expect(first.items.map((e: any) => e.ref)).toEqual([events[2].id, events[1].id]);
  expectNewestFirst(first.items);
});

test('following the ledger cursor yields every entry exactly once and ends with nextCursor null', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  await postUsage(stack, orgId, messages(4, 'a'));
  await postUsage(stack, orgId, messages(3, 'b'));
  const all = await page(orgId, 'ledger', 'limit=500');
  expect(all.nextCursor).toBeNull();
  expect(all.items.filter((e: any) => e.kind === 'usage')).toHaveLength(7);
  expect(all.items.every((e: any) => e.orgId === orgId)).toBe(true);
  expect((all.items as any[]).reduce((sum, e) => sum + e.credits, 0)).toBe((await summary(stack, orgId)).availableCredits);
  for (const limit of [1, 2, 3, all.items.length]) {
    const walked = await walk(orgId, 'ledger', limit);
    expect(walked).toEqual(all.items);
    expect(new Set(walked.map((e) => e.id)).size).toBe(walked.length);
  }
  expectNewestFirst(all.items);
});

test('the default ledger page is answered without a limit or cursor', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  await postUsage(stack, orgId, messages(2));
  const body = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/ledger`, stack.token('ops')), 200);
  expect(body.entries.length).toBeGreaterThanOrEqual(2);
  expect(body.nextCursor).toBeNull();
});

test('events have exactly {id, type, at, message, data}, newest first, and paginate like the ledger', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  const owner = stack.token('owner', orgId);
  const settings = { enabled: false, thresholdCredits: 10, rechargeCredits: 500, maxRechargesPerMonth: 2 };
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, owner, settings), 200);
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, owner, { ...settings, thresholdCredits: 20 }), 200);
  const all = await page(orgId, 'events', 'limit=500');
  expect(all.nextCursor).toBeNull();
  expect(all.items.length).toBeGreaterThanOrEqual(3);
  for (const event of all.items as any[]) {
    expect(sortedKeys(event)).toEqual(['at', 'data', 'id', 'message', 'type']);
    expect(event).toMatchObject({ id: expect.any(String), type: expect.any(String), message: expect.any(String), data: expect.any(Object) });
    expect(Number.isNaN(Date.parse(event.at))).toBe(false);
  }
  expectNewestFirst(all.items);
  const [latest, previous] = all.items as any[];
  expect(latest).toMatchObject({ type: 'settings.updated', message: 'Auto-recharge settings updated.', data: { ...settings, thresholdCredits: 20 } });
  expect(previous).toMatchObject({ type: 'settings.updated', data: settings });
  for (const limit of [1, 2]) expect(await walk(orgId, 'events', limit)).toEqual(all.items);
});

test.each([
  ['limit=0'],
  ['limit=501'],
  ['limit=-1'],
  ['limit=1.5'],
  ['limit=abc'],
  ['cursor=abc'],
  ['cursor=-1'],
  ['limit=2&cursor=1e3'],
  // Past PostgreSQL's largest bigint (2^63 - 1).
  ['cursor=9223372036854775808'],
  ['cursor=12345678901234567890'],
])('%s is 422 for the ledger and the events', async (query) => {
  const orgId = await createOrg(stack, { paymentMethodId: null });
  for (const what of ['ledger', 'events']) {
    expectError(await stack.http.get(`/v1/orgs/${orgId}/${what}?${query}`, stack.token('ops')), 422, 'validation_failed');
  }
});

test('limit=1 and limit=500 are accepted', async () => {
  const orgId = await createOrg(stack, { paymentMethodId: null });
  for (const what of ['ledger', 'events'] as const) {
    expect((await page(orgId, what, 'limit=1')).items.length).toBeLessThanOrEqual(1);
    await page(orgId, what, 'limit=500');
  }
});

test('the billing summary has the fields of spec §10 at each level', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, autoRecharge: { thresholdCredits: 100, rechargeCredits: 500, maxRechargesPerMonth: 3 } });
  await postUsage(stack, orgId, messages(2, 'agent-x'));
  const s = await summary(stack, orgId);
  expect(sortedKeys(s)).toEqual(
    ['orgId', 'availableCredits', 'topUpCredits', 'grantCredits', 'nextExpiry', 'planCredits', 'nextRenewalAt', 'subscription', 'paymentMethod', 'autoRecharge', 'pendingPayment', 'agents', 'agentCount'].sort(),
  );
  expect(sortedKeys(s.planCredits)).toEqual(['allowance', 'remaining']);
  expect(sortedKeys(s.subscription!)).toEqual(['status']);
  expect(sortedKeys(s.paymentMethod!)).toEqual(['brand', 'expMonth', 'expYear', 'id', 'last4']);
  expect(sortedKeys(s.autoRecharge)).toEqual(
    [
      'enabled', 'thresholdCredits', 'rechargeCredits', 'maxRechargesPerMonth', 'rechargesUsedThisMonth', 'lastRechargedAt',
      'pricePer1000CreditsCents', 'consecutiveFailures', 'disabledReason', 'mode', 'targetCredits',
    ].sort(),
  );
  expect(s.agents).toHaveLength(1);
  expect(sortedKeys(s.agents[0])).toEqual(['id', 'spentThisMonth', 'monthlyLimitCredits', 'whenPlanExhausted', 'allowed', 'reason'].sort());
  expect(s).toMatchObject({
    orgId,
    availableCredits: 998,
    topUpCredits: 0,
    planCredits: { allowance: 1000, remaining: 998 },
    subscription: { status: 'active' },
    paymentMethod: { id: 'pm_card_visa', brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034 },
    pendingPayment: null,
    autoRecharge: { enabled: true, pricePer1000CreditsCents: 2000, rechargesUsedThisMonth: 0, lastRechargedAt: null, consecutiveFailures: 0, disabledReason: null },
    agents: [{ id: 'agent-x', spentThisMonth: 2, monthlyLimitCredits: null, whenPlanExhausted: 'use_balance', allowed: true, reason: null }],
    agentCount: 1,
  });
  expect(Number.isNaN(Date.parse(s.nextRenewalAt!))).toBe(false);
});

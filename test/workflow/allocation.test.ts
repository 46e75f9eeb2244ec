// Monthly auto allocation: the agency's card pays at current rates, the sub-account's wallet is
// credited, events on both sides, the agency's own credits untouched.
import { createOrg, eventsOf, expectLedgerMatches, expectStatus, settled, summary } from '../helpers/billing';
import { eventually, startStack, type Stack } from '../helpers/stack';
import { expectError } from '../api/apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const allocate = (agency: string, sub: string, token: string, body: unknown) =>
  stack.http.put(`/v1/orgs/${agency}/sub-accounts/${sub}/auto-allocation`, token, body);

test('an allocation charges the agency and credits the sub-account, now and monthly', async () => {
  const agency = await createOrg(stack, { planCredits: 1000 });
  const sub = await createOrg(stack, { planCredits: 0, paymentMethodId: null, parentId: agency });
  const agencyOwner = stack.token('owner', agency);

  // 100 basic minutes: ceil(6000 s * 9/120) = 450 credits; 10 premium: 600 s * 8/60 = 80; 530 credits = $10.60.
  const answer = await expectStatus(allocate(agency, sub, agencyOwner, { basicMinutes: 100, premiumMinutes: 10 }), 200);
  expect(answer.estimatedMonthlyChargeCents).toBe(1060);
  const firstRun = Date.parse(answer.nextRunAt);
  expect(Math.abs(firstRun - Date.now())).toBeLessThan(60_000);

  const subSummary = await settled(stack, sub, (s) => s.topUpCredits === 530);
  expect(subSummary.availableCredits).toBe(530);
  const agencySummary = await settled(stack, agency);
  expect(agencySummary).toMatchObject({ topUpCredits: 0, planCredits: { allowance: 1000, remaining: 1000 } });

  const { rows } = await stack.db.query('SELECT org_id, amount_cents FROM sandbox_payment_intents WHERE org_id IN ($1, $2)', [agency, sub]);
  expect(rows).toEqual([{ org_id: agency, amount_cents: 1060 }]);
  expect((await eventsOf(stack, agency)).filter((e) => e.type === 'allocation.succeeded')).toHaveLength(1);
  expect((await eventsOf(stack, sub)).filter((e) => e.type === 'allocation.succeeded')).toEqual([
    expect.objectContaining({ data: expect.objectContaining({ agencyId: agency, credits: 530 }) }),
  ]);
  await expectLedgerMatches(stack, sub);
  await expectLedgerMatches(stack, agency);

  // The agency sees its sub-account's balance.
  const list = await expectStatus(stack.http.get(`/v1/orgs/${agency}/sub-accounts`, stack.token('member', agency)), 200);
  expect(list).toEqual({ subAccounts: [{ id: sub, name: `Org ${sub}`, availableCredits: 530 }] });

  // Changing the minutes keeps the monthly date; it does not charge again now.
  const changed = await expectStatus(allocate(agency, sub, agencyOwner, { basicMinutes: 200, premiumMinutes: 0 }), 200);
  expect(changed.estimatedMonthlyChargeCents).toBe(1800);
  const nextMonth = new Date(firstRun);
  nextMonth.setUTCMonth(nextMonth.getUTCMonth() + 1);
  if (nextMonth.getUTCDate() !== new Date(firstRun).getUTCDate()) nextMonth.setUTCDate(0);
  expect(changed.nextRunAt).toBe(nextMonth.toISOString());
  expect((await settled(stack, sub)).topUpCredits).toBe(530);

  // Zero in both turns it off.
  expect(await expectStatus(allocate(agency, sub, agencyOwner, { basicMinutes: 0, premiumMinutes: 0 }), 200)).toEqual({ estimatedMonthlyChargeCents: 0, nextRunAt: null, paymentMethod: null });
});

test('a declined allocation is an event on both sides and credits nothing', async () => {
  const agency = await createOrg(stack, { planCredits: 0, paymentMethodId: 'pm_card_chargeDeclined' });
  const sub = await createOrg(stack, { planCredits: 0, paymentMethodId: null, parentId: agency });
  await expectStatus(allocate(agency, sub, stack.token('owner', agency), { basicMinutes: 10, premiumMinutes: 0 }), 200);
  await eventually(async () => expect((await eventsOf(stack, sub)).map((e) => e.type)).toContain('allocation.failed'));
  expect((await eventsOf(stack, agency)).map((e) => e.type)).toContain('allocation.failed');
  expect((await summary(stack, sub)).topUpCredits).toBe(0);
});

test('only the agency owner allocates, only to its own sub-accounts, with a card on file', async () => {
  const agency = await createOrg(stack, { planCredits: 0, paymentMethodId: null });
  const sub = await createOrg(stack, { planCredits: 0, paymentMethodId: null, parentId: agency });
  const stranger = await createOrg(stack, { planCredits: 0, paymentMethodId: null });
  const body = { basicMinutes: 10, premiumMinutes: 0 };
  expectError(await allocate(agency, sub, stack.token('member', agency), body), 403, 'forbidden');
  expectError(await allocate(agency, sub, stack.token('owner', sub), body), 403, 'forbidden');
  expectError(await allocate(agency, sub, stack.token('ops'), body), 403, 'forbidden');
  expectError(await allocate(agency, stranger, stack.token('owner', agency), body), 404, 'sub_account_not_found');
  expectError(await allocate(agency, sub, stack.token('owner', agency), { basicMinutes: -1, premiumMinutes: 0 }), 422, 'validation_failed');
  expectError(await allocate(agency, sub, stack.token('owner', agency), body), 409, 'payment_method_required');
  expectError(await stack.http.get(`/v1/orgs/${agency}/sub-accounts`, stack.token('owner', sub)), 403, 'forbidden');
});

// PUT /v1/orgs/:org/auto-recharge (spec §4 "Who and what first"): who, then subscription, then card; exact texts.
import { createOrg, eventsOf, expectStatus, summary } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';
import { bareOrg, expectError, sortedKeys } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const OWNER_REQUIRED = 'Only the organization owner can manage auto-recharge.';
const SUBSCRIPTION_REQUIRED = 'An active subscription is required to enable auto-recharge.';
const PAYMENT_METHOD_REQUIRED = 'A payment method is required to enable auto-recharge.';
const UPDATED = 'Auto-recharge settings updated.';

const enable = { enabled: true, thresholdCredits: 100, rechargeCredits: 600, maxRechargesPerMonth: 4 };
const put = (orgId: string, token: string, body: object = enable) => stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, token, body);
const settingsEvents = async (orgId: string) => (await eventsOf(stack, orgId)).filter((e) => e.type === 'settings.updated');

/** Runs `refuse` and checks that the organization's summary and settings events did not change. */
async function expectNothingChanges(orgId: string, refuse: () => Promise<void>): Promise<void> {
  const before = await summary(stack, orgId);
  const eventsBefore = await settingsEvents(orgId);
  await refuse();
  expect(await summary(stack, orgId)).toEqual(before);
  expect(await settingsEvents(orgId)).toEqual(eventsBefore);
}

test('a member gets 403 owner_required, even when the subscription and card are missing', async () => {
  const bare = await bareOrg(stack);
  const full = await createOrg(stack);
  for (const orgId of [bare, full]) {
    await expectNothingChanges(orgId, async () => {
      expectError(await put(orgId, stack.token('member', orgId)), 403, 'owner_required', OWNER_REQUIRED);
      expectError(await put(orgId, stack.token('member', orgId), { ...enable, enabled: false }), 403, 'owner_required', OWNER_REQUIRED);
    });
  }
});

test('service and ops callers are not the owner either', async () => {
  const orgId = await createOrg(stack);
  await expectNothingChanges(orgId, async () => {
    expectError(await put(orgId, stack.token('ops')), 403, 'owner_required', OWNER_REQUIRED);
    expectError(await put(orgId, stack.token('service')), 403, 'owner_required', OWNER_REQUIRED);
  });
});

test('an owner without a subscription gets 409 subscription_required, even with no card', async () => {
  const orgId = await bareOrg(stack);
  await expectNothingChanges(orgId, async () => {
    expectError(await put(orgId, stack.token('owner', orgId)), 409, 'subscription_required', SUBSCRIPTION_REQUIRED);
  });
});

test('an owner with a card but no subscription gets 409 subscription_required', async () => {
  const orgId = await bareOrg(stack);
  const owner = stack.token('owner', orgId);
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' }), 200);
  await expectNothingChanges(orgId, async () => {
    expectError(await put(orgId, owner), 409, 'subscription_required', SUBSCRIPTION_REQUIRED);
  });
});

test('a canceled subscription is not an active one', async () => {
  const orgId = await createOrg(stack);
  await expectStatus(
    stack.http.put(`/v1/orgs/${orgId}/subscription`, stack.token('ops'), {
      status: 'canceled',
      planCredits: 1000,
      currentPeriodEnd: new Date(Date.now() + 86_400_000).toISOString(),
    }),
    200,
  );
  await expectNothingChanges(orgId, async () => {
    expectError(await put(orgId, stack.token('owner', orgId)), 409, 'subscription_required', SUBSCRIPTION_REQUIRED);
  });
});

test('an owner with a subscription but no card gets 409 payment_method_required', async () => {
  const orgId = await createOrg(stack, { paymentMethodId: null });
  await expectNothingChanges(orgId, async () => {
    expectError(await put(orgId, stack.token('owner', orgId)), 409, 'payment_method_required', PAYMENT_METHOD_REQUIRED);
  });
});

test('the owner with a subscription and a card saves the settings: 200 {message, autoRecharge}', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  const body = await expectStatus(put(orgId, stack.token('owner', orgId)), 200);
  expect(sortedKeys(body)).toEqual(['autoRecharge', 'message']);
  expect(body.message).toBe(UPDATED);
  expect(body.autoRecharge).toMatchObject(enable);
  const s = await summary(stack, orgId);
  expect(s.autoRecharge).toEqual(body.autoRecharge);
  expect(s.autoRecharge).toMatchObject({ ...enable, rechargesUsedThisMonth: 0, consecutiveFailures: 0, disabledReason: null });
  const events = await settingsEvents(orgId);
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ message: UPDATED, data: enable });
});

test('disabling is allowed without a subscription or a card', async () => {
  const orgId = await bareOrg(stack);
  const disable = { ...enable, enabled: false };
  const body = await expectStatus(put(orgId, stack.token('owner', orgId), disable), 200);
  expect(body).toEqual({ message: UPDATED, autoRecharge: expect.objectContaining(disable) });
  expect((await summary(stack, orgId)).autoRecharge).toMatchObject(disable);
  expect(await settingsEvents(orgId)).toHaveLength(1);
});

test('removing the payment method (204) shows paymentMethod null and enabling then needs a card', async () => {
  const orgId = await createOrg(stack);
  const owner = stack.token('owner', orgId);
  const res = await stack.http.del(`/v1/orgs/${orgId}/payment-method`, owner);
  expect(res.status).toBe(204);
  expect(res.body).toBeUndefined();
  expect((await summary(stack, orgId)).paymentMethod).toBeNull();
  await expectNothingChanges(orgId, async () => {
    expectError(await put(orgId, owner), 409, 'payment_method_required', PAYMENT_METHOD_REQUIRED);
  });
});

test('a refusal leaves earlier saved settings as they were', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  const owner = stack.token('owner', orgId);
  await expectStatus(put(orgId, owner), 200);
  await expectStatus(stack.http.del(`/v1/orgs/${orgId}/payment-method`, owner), 204);
  await expectNothingChanges(orgId, async () => {
    expectError(await put(orgId, owner, { ...enable, thresholdCredits: 200 }), 409, 'payment_method_required', PAYMENT_METHOD_REQUIRED);
    expectError(await put(orgId, stack.token('member', orgId), { ...enable, enabled: false }), 403, 'owner_required', OWNER_REQUIRED);
  });
  expect((await summary(stack, orgId)).autoRecharge).toMatchObject(enable);
});

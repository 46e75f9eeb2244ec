// PUT auto-recharge with mode and targetCredits: what is kept and shown, and bad input refused with
// 422 and a clear message, changing nothing. The simulation takes the same fields.
import { createOrg, eventsOf, expectStatus, postUsage, messages, summary } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';
import { expectError } from './apiHelpers';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const base = { enabled: false, thresholdCredits: 1000, maxRechargesPerMonth: 4 };
const put = (orgId: string, body: object) => stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, stack.token('owner', orgId), body);

test('without a mode the settings are fixed, and billing shows mode fixed with no target', async () => {
  const orgId = await createOrg(stack);
  expect((await summary(stack, orgId)).autoRecharge).toMatchObject({ mode: 'fixed', targetCredits: null });
  const body = await expectStatus(put(orgId, { ...base, rechargeCredits: 700 }), 200);
  expect(body.autoRecharge).toMatchObject({ mode: 'fixed', targetCredits: null, rechargeCredits: 700 });
});

test('to_target keeps the saved rechargeCredits when it is left out, and billing shows mode and target', async () => {
  const orgId = await createOrg(stack);
  await expectStatus(put(orgId, { ...base, rechargeCredits: 700 }), 200);
  const body = await expectStatus(put(orgId, { ...base, mode: 'to_target', targetCredits: 5000 }), 200);
  expect(body.autoRecharge).toMatchObject({ mode: 'to_target', targetCredits: 5000, rechargeCredits: 700, thresholdCredits: 1000 });
  expect((await summary(stack, orgId)).autoRecharge).toEqual(body.autoRecharge);
  const [saved] = (await eventsOf(stack, orgId)).filter((e) => e.type === 'settings.updated'); // newest first
  expect(saved.data).toMatchObject({ mode: 'to_target', targetCredits: 5000 });
});

test('bad mode and target input is 422 with a clear message and changes nothing', async () => {
  const orgId = await createOrg(stack);
  await expectStatus(put(orgId, { ...base, rechargeCredits: 700 }), 200);
  const before = await summary(stack, orgId);
  const eventsBefore = await eventsOf(stack, orgId);
  const cases: Array<[object, string]> = [
    [{ ...base, mode: 'to_target', targetCredits: 1000 }, 'targetCredits: must be greater than thresholdCredits'],
    [{ ...base, mode: 'to_target', targetCredits: 999 }, 'targetCredits: must be greater than thresholdCredits'],
    [{ ...base, rechargeCredits: 700, targetCredits: 500 }, 'targetCredits: must be greater than thresholdCredits'],
    [{ ...base, mode: 'to_target' }, 'targetCredits: is required when mode is to_target'],
    [{ ...base, mode: 'to_target', rechargeCredits: 700 }, 'targetCredits: is required when mode is to_target'],
    [{ ...base, mode: 'fixed' }, 'rechargeCredits: is required when mode is fixed'],
    [{ ...base, mode: 'refill', targetCredits: 5000, rechargeCredits: 700 }, 'mode: Invalid option: expected one of "fixed"|"to_target"'],
    [{ ...base, mode: 'to_target', targetCredits: 1_000_000_001 }, 'targetCredits: Too big: expected number to be <=1000000000'],
    [{ ...base, mode: 'to_target', targetCredits: 2500.5 }, 'targetCredits: Invalid input: expected int, received number'],
  ];
  for (const [body, message] of cases) expectError(await put(orgId, body), 422, 'validation_failed', message);
  expect(await summary(stack, orgId)).toEqual(before);
  expect(await eventsOf(stack, orgId)).toEqual(eventsBefore);
});

test('the simulation replays to_target settings, and refuses bad ones alike', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000 });
  await postUsage(stack, orgId, messages(700)); // 300 left
  const simulate = (body: object) => stack.http.post(`/v1/orgs/${orgId}/auto-recharge/simulate`, stack.token('owner', orgId), body);
  const result = await expectStatus(simulate({ thresholdCredits: 500, maxRechargesPerMonth: 3, mode: 'to_target', targetCredits: 4000 }), 200);
  // Message by message: at 499 one recharge of 3,501 up to 4,000 (7,002 cents), then 199 more messages.
  expect(result).toMatchObject({ recharges: 1, minAvailableCredits: 499, finalAvailableCredits: 3801, chargedCents: 7002 });
  expectError(await simulate({ thresholdCredits: 500, maxRechargesPerMonth: 3, mode: 'to_target' }), 422, 'validation_failed', 'targetCredits: is required when mode is to_target');
  expectError(await simulate({ thresholdCredits: 500, maxRechargesPerMonth: 3, mode: 'to_target', targetCredits: 400 }), 422, 'validation_failed', 'targetCredits: must be greater than thresholdCredits');
});

// After a successful recharge, the projection at the current burn rate: when the cap will be
// reached more than a day before renewal, auto_recharge.cap_forecast says when, once per period.
import { createOrg, eventsOf, messages, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

test('a burn that will exhaust the cap long before renewal is forecast once per period', async () => {
  const orgId = await createOrg(stack, { planCredits: 100, autoRecharge: { thresholdCredits: 500, rechargeCredits: 500, maxRechargesPerMonth: 5 } });
  await settled(stack, orgId, (s) => s.autoRecharge.rechargesUsedThisMonth === 1); // the save below the threshold
  // 600 credits within the hour: a burn of 14,400 a day, the four recharges left gone in hours.
  await postUsage(stack, orgId, messages(600));
  await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 2);
  // Another recharge in the same period: the forecast is not repeated.
  await postUsage(stack, orgId, messages(100));
  const s = await settled(stack, orgId, (x) => x.autoRecharge.rechargesUsedThisMonth === 3);
  const forecasts = (await eventsOf(stack, orgId)).filter((e) => e.type === 'auto_recharge.cap_forecast');
  expect(forecasts).toHaveLength(1);
  const [forecast] = forecasts;
  const renewal = Date.parse(s.nextRenewalAt!);
  const capAt = Date.parse(forecast.data.capReachedAt);
  expect(capAt).toBeGreaterThan(Date.now() - 60_000);
  expect(capAt).toBeLessThan(Date.now() + 86_400_000);
  const days = Math.floor((renewal - capAt) / 86_400_000);
  expect(forecast.message).toBe(`At the current rate, auto-recharge will reach its monthly cap on ${forecast.data.capReachedAt.slice(0, 10)}, ${days} days before renewal.`);
  expect(forecast.data).toMatchObject({ nextRenewalAt: s.nextRenewalAt, daysBeforeRenewal: days });
});

test('no forecast when the cap holds until renewal', async () => {
  // 60 credits in the hour: 1,440 a day; the four recharges left (4,000,000 credits) last years.
  const orgId = await createOrg(stack, { planCredits: 100, autoRecharge: { thresholdCredits: 50, rechargeCredits: 1_000_000, maxRechargesPerMonth: 5 } });
  await postUsage(stack, orgId, messages(60));
  await settled(stack, orgId, (s) => s.autoRecharge.rechargesUsedThisMonth === 1);
  expect((await eventsOf(stack, orgId)).filter((e) => e.type === 'auto_recharge.cap_forecast')).toEqual([]);
});

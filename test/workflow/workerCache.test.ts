// WORKER_MAX_CACHED_WORKFLOWS bounds the worker's workflow cache (its memory with many
// organizations): the worker holds that many runs, and a run evicted from the cache is replayed
// from its history at its next task, deciding as before.
import { createOrg, messages, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ WORKER_MAX_CACHED_WORKFLOWS: '2' });
});
afterAll(() => stack.stop());

test('the worker caches as many runs as the setting says; an evicted run recharges as before', async () => {
  expect(stack.worker.options.maxCachedWorkflows).toBe(2);
  const first = await createOrg(stack, { planCredits: 100, autoRecharge: { thresholdCredits: 50, rechargeCredits: 1000, maxRechargesPerMonth: 1 } });
  // Three more organizations' workflows take the cache's two places.
  for (let i = 0; i < 3; i++) await createOrg(stack, { planCredits: 100, paymentMethodId: null });
  await postUsage(stack, first, messages(60));
  const s = await settled(stack, first, (x) => x.autoRecharge.rechargesUsedThisMonth === 1);
  expect(s.availableCredits).toBe(100 - 60 + 1000);
});

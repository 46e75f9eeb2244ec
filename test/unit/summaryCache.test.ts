import { SummaryCache } from '../../api/summaryCache';
import type { BillingSummary } from '../../domain/summary';

function loader() {
  const calls: string[] = [];
  const load = async (orgId: string) => {
    calls.push(orgId);
    return { orgId } as BillingSummary;
  };
  return { calls, load };
}

test('answers from the cache within the TTL and loads again after an invalidation', async () => {
  const { calls, load } = loader();
  const cache = new SummaryCache(load, 60_000);
  await cache.get('a');
  await cache.get('a');
  expect(calls).toEqual(['a']);
  cache.invalidate('a');
  await cache.get('a');
  await cache.get('b');
  cache.invalidate();
  await cache.get('b');
  expect(calls).toEqual(['a', 'a', 'b', 'b']);
});

test('a TTL of 0 never caches, and a failed load is not kept', async () => {
  const { calls, load } = loader();
  const uncached = new SummaryCache(load, 0);
  await uncached.get('a');
  await uncached.get('a');
  expect(calls).toEqual(['a', 'a']);

  let fail = true;
  const flaky = new SummaryCache(async (orgId) => {
    if (fail) throw new Error('down');
    return { orgId } as BillingSummary;
  }, 60_000);
  await expect(flaky.get('a')).rejects.toThrow('down');
  fail = false;
  await expect(flaky.get('a')).resolves.toEqual({ orgId: 'a' });
});

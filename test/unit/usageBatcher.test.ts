import { UsageBatcher } from '../../api/usageBatcher';

/** A send whose calls the test completes by hand, to hold a batch in flight. */
function controlledSend() {
  const calls: Array<{ orgId: string; events: number[]; finish: (err?: Error) => void }> = [];
  const send = (orgId: string, events: number[]) =>
    new Promise<void>((resolve, reject) => calls.push({ orgId, events, finish: (err) => (err ? reject(err) : resolve()) }));
  return { calls, send };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('requests arriving while a batch is in flight leave together in the next one', async () => {
  const { calls, send } = controlledSend();
  const batcher = new UsageBatcher(send, 100);
  const first = batcher.submit('org', [1]);
  await flush();
  const rest = [batcher.submit('org', [2, 3]), batcher.submit('org', [4]), batcher.submit('org', [5])];
  await flush();
  expect(calls.map((c) => c.events)).toEqual([[1]]);
  calls[0].finish();
  await first;
  await flush();
  expect(calls.map((c) => c.events)).toEqual([[1], [2, 3, 4, 5]]);
  calls[1].finish();
  await Promise.all(rest);
});

test('a batch holds whole requests up to the limit', async () => {
  const { calls, send } = controlledSend();
  const batcher = new UsageBatcher(send, 3);
  const all = [batcher.submit('org', [1]), batcher.submit('org', [2, 3]), batcher.submit('org', [4, 5]), batcher.submit('org', [6, 7, 8, 9])];
  for (let i = 0; i < 4; i++) {
    await flush();
    calls[i]?.finish();
  }
  await Promise.all(all);
  expect(calls.map((c) => c.events)).toEqual([[1], [2, 3], [4, 5], [6, 7, 8, 9]]);
});

test('organizations are batched independently', async () => {
  const { calls, send } = controlledSend();
  const batcher = new UsageBatcher(send, 100);
  const a = batcher.submit('a', [1]);
  const b = batcher.submit('b', [2]);
  await flush();
  expect(calls.map((c) => [c.orgId, c.events])).toEqual([
    ['a', [1]],
    ['b', [2]],
  ]);
  calls.forEach((c) => c.finish());
  await Promise.all([a, b]);
});

test('a failed send rejects exactly the requests in its batch; later ones go on', async () => {
  const { calls, send } = controlledSend();
  const batcher = new UsageBatcher(send, 100);
  const first = batcher.submit('org', [1]);
  await flush();
  const second = batcher.submit('org', [2]);
  calls[0].finish(new Error('temporal down'));
  await expect(first).rejects.toThrow('temporal down');
  await flush();
  calls[1].finish();
  await expect(second).resolves.toBeUndefined();
});

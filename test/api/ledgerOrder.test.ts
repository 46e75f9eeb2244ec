// Ledger and events pages are ordered by their numeric ids, also where the digit count changes.
import { createOrg, expectStatus, messages, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

test('newest first across 99999 -> 100000, every entry exactly once', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  // Moving the sequence forward is harmless to other tests: ids only need to be unique and increasing.
  await stack.db.query("SELECT setval('ledger_entries_id_seq', GREATEST((SELECT last_value FROM ledger_entries_id_seq), 99990))");
  await postUsage(stack, orgId, messages(25));
  await settled(stack, orgId);

  const ids: number[] = [];
  let cursor: string | null = null;
  do {
    const page: { entries: Array<{ id: string }>; nextCursor: string | null } = await expectStatus(
      stack.http.get(`/v1/orgs/${orgId}/ledger?limit=7${cursor ? `&cursor=${cursor}` : ''}`, stack.token('ops')),
      200,
    );
    ids.push(...page.entries.map((e) => Number(e.id)));
    cursor = page.nextCursor;
  } while (cursor);

  expect(ids).toHaveLength(26);
  expect(ids.some((id) => id >= 100_000)).toBe(true);
  expect(ids.some((id) => id < 100_000)).toBe(true);
  expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
});

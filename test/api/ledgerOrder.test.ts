// Ledger and events pages are ordered by their numeric ids, also where the digit count changes.
import { createOrg, expectStatus, messages, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

test('newest first across a power of ten, every entry exactly once', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  // The next power of ten above every id drawn so far (a sequence number times 2^20: migration 17);
  // moving the sequence past it gives the usage entries one digit more than the plan's entry. Harmless
  // to other tests: ids only need to be unique and increasing.
  const { rows } = await stack.db.query<{ last: string }>('SELECT last_value::text AS last FROM ledger_seq');
  const boundary = 10n ** BigInt(((BigInt(rows[0].last) + 2n) * 1_048_576n).toString().length);
  await stack.db.query("SELECT setval('ledger_seq', $1::bigint)", [(boundary / 1_048_576n).toString()]);
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
  expect(ids.some((id) => id >= Number(boundary))).toBe(true);
  expect(ids.some((id) => id < Number(boundary))).toBe(true);
  expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
});

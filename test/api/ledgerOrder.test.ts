// Ledger and events pages are ordered by their numeric ids, also where the digit count changes.
import { createOrg, expectStatus, messages, postUsage, settled } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

test('newest first across 10^15, every entry exactly once, by cursors of 16 digits', async () => {
  const orgId = await createOrg(stack, { planCredits: 1000, paymentMethodId: null });
  // Ids are a sequence number times 2^20 (migration 17): 16 digits once the sequence passes
  // 953,674,316. Moving it there gives the usage entries one digit more than the plan's entry.
  // Harmless to other tests: ids only need to be unique and increasing, and stay below 2^53 and
  // above the bulk tests' blocks (helpers/database.ts).
  const boundary = 10n ** 15n;
  const { rows } = await stack.db.query<{ last: string }>('SELECT last_value::text AS last FROM ledger_seq');
  expect(BigInt(rows[0].last) * 1_048_576n < boundary).toBe(true);
  await stack.db.query("SELECT setval('ledger_seq', GREATEST($1::bigint, (SELECT last_value FROM ledger_seq)))", [(boundary / 1_048_576n).toString()]);
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

// PostgreSQL owns the debit split (record_usage); the policy simulation uses its TypeScript mirror,
// splitDebit. The same cases run through both: each event's ledger entries must be the mirror's split.
import type { Pool } from 'pg';
import { splitDebit, type Pools } from '../../domain/pools';
import { recordUsage } from '../../store/usage';
import { orgWithBalance, testDatabase } from '../helpers/database';

let db: Pool;
beforeAll(() => {
  db = testDatabase();
});
afterAll(() => db.end());

/** The mirror, applied event after event as record_usage applies a batch. */
function mirrored(start: Pools, debits: number[]): Array<{ plan: number; wallet: number }> {
  let pools = start;
  return debits.map((credits) => {
    const split = splitDebit(pools, credits);
    pools = { planRemaining: pools.planRemaining - split.plan, wallet: pools.wallet - split.wallet };
    return split;
  });
}

test.each`
  planRemaining | wallet | debits               | case
  ${100}        | ${50}  | ${[30]}              | ${'plan covers it'}
  ${100}        | ${50}  | ${[100]}             | ${'plan exactly covers it'}
  ${100}        | ${50}  | ${[130]}             | ${'plan used up, the rest from the wallet'}
  ${0}          | ${50}  | ${[20]}              | ${'no plan credits left'}
  ${10}         | ${5}   | ${[50]}              | ${'more than both pools: the wallet goes negative'}
  ${0}          | ${-10} | ${[7]}               | ${'already in debt'}
  ${100}        | ${50}  | ${[0]}               | ${'zero credits'}
  ${25}         | ${10}  | ${[10, 10, 10, 10]}  | ${'a batch that crosses from plan to wallet mid-way'}
  ${1}          | ${0}   | ${[1, 1, 500, 3]}    | ${'a batch after the plan is gone'}
`('$case: record_usage splits as splitDebit does', async ({ planRemaining, wallet, debits }: { planRemaining: number; wallet: number; debits: number[] }) => {
  const orgId = await orgWithBalance(db, { planRemaining, wallet });
  const events = debits.map((credits, i) => ({ id: `e${i}`, agentId: 'a', meter: 'message', quantity: 1, credits, occurredAt: new Date().toISOString() }));
  await recordUsage(db, orgId, events);

  const { rows } = await db.query<{ ref: string; pool: string; credits: number }>("SELECT ref, pool, credits FROM ledger_entries WHERE org_id = $1 AND kind = 'usage'", [orgId]);
  const debited = (id: string, pool: string) => 0 - (rows.find((r) => r.ref === id && r.pool === pool)?.credits ?? 0);
  const recorded = events.map(({ id }) => ({ plan: debited(id, 'plan'), wallet: debited(id, 'wallet') }));
  expect(recorded).toEqual(mirrored({ planRemaining, wallet }, debits));
});

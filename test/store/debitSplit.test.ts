// PostgreSQL owns the debit split (record_usage); the policy simulation uses its TypeScript mirror,
// splitDebit. The same cases run through both: each event's ledger entries must be the mirror's split.
// An agent at or over its monthly limit spends the wallet only (spec §6), so cases include agents
// with limits and spend this period.
import type { Pool } from 'pg';
import { planHeadroom } from '../../domain/agents';
import { splitDebit, type Pools } from '../../domain/pools';
import { recordUsage } from '../../store/usage';
import { orgWithBalance, testDatabase } from '../helpers/database';

let db: Pool;
beforeAll(() => {
  db = testDatabase();
});
afterAll(() => db.end());

/** An agent's monthly limit and what it spent this period before the batch. */
type Agents = Record<string, { limit: number | null; spent: number }>;
/** A debit of `credits` by agent `agent` ('a' when not given). */
type Debits = Array<number | [agent: string, credits: number]>;

const asEvents = (debits: Debits) => debits.map((d) => (typeof d === 'number' ? { agent: 'a', credits: d } : { agent: d[0], credits: d[1] }));

/** The mirror, applied event after event as record_usage applies a batch. */
function mirrored(start: Pools, agents: Agents, debits: Debits): Array<{ plan: number; wallet: number }> {
  let pools = start;
  const spent = new Map(Object.entries(agents).map(([id, a]) => [id, a.spent]));
  return asEvents(debits).map(({ agent, credits }) => {
    const headroom = planHeadroom({ monthlyLimitCredits: agents[agent]?.limit ?? null, spentThisMonth: spent.get(agent) ?? 0 });
    const split = splitDebit(pools, credits, headroom);
    pools = { planRemaining: pools.planRemaining - split.plan, wallet: pools.wallet - split.wallet };
    spent.set(agent, (spent.get(agent) ?? 0) + credits);
    return split;
  });
}

async function withAgents(orgId: string, agents: Agents): Promise<void> {
  for (const [agentId, { limit, spent }] of Object.entries(agents)) {
    await db.query("INSERT INTO agent_settings (org_id, agent_id, monthly_limit_credits, when_plan_exhausted) VALUES ($1, $2, $3, 'use_balance')", [orgId, agentId, limit]);
    if (spent) await db.query('INSERT INTO agent_spend (org_id, period, agent_id, spent) SELECT org_id, period, $2, $3 FROM balances WHERE org_id = $1', [orgId, agentId, spent]);
  }
}

const limited = (limit: number | null, spent = 0) => ({ limit, spent });

test.each`
  planRemaining | wallet | agents                                         | debits                                      | case
  ${100}        | ${50}  | ${{}}                                          | ${[30]}                                     | ${'plan covers it'}
  ${100}        | ${50}  | ${{}}                                          | ${[100]}                                    | ${'plan exactly covers it'}
  ${100}        | ${50}  | ${{}}                                          | ${[130]}                                    | ${'plan used up, the rest from the wallet'}
  ${0}          | ${50}  | ${{}}                                          | ${[20]}                                     | ${'no plan credits left'}
  ${10}         | ${5}   | ${{}}                                          | ${[50]}                                     | ${'more than both pools: the wallet goes negative'}
  ${0}          | ${-10} | ${{}}                                          | ${[7]}                                      | ${'already in debt'}
  ${100}        | ${50}  | ${{}}                                          | ${[0]}                                      | ${'zero credits'}
  ${25}         | ${10}  | ${{}}                                          | ${[10, 10, 10, 10]}                         | ${'a batch that crosses from plan to wallet mid-way'}
  ${1}          | ${0}   | ${{}}                                          | ${[1, 1, 500, 3]}                           | ${'a batch after the plan is gone'}
  ${1000}       | ${50}  | ${{ a: limited(100, 100) }}                    | ${[30]}                                     | ${'an agent at its limit spends the wallet only'}
  ${1000}       | ${50}  | ${{ a: limited(100, 150) }}                    | ${[80]}                                     | ${'an agent over its limit goes into debt with plan credits left'}
  ${1000}       | ${50}  | ${{ a: limited(0) }}                           | ${[5]}                                      | ${'a limit of 0: never plan credits'}
  ${1000}       | ${500} | ${{ a: limited(100, 90) }}                     | ${[30]}                                     | ${'an event that crosses the limit: the part up to it from the plan'}
  ${1000}       | ${500} | ${{ a: limited(100, 60) }}                     | ${[20, 20, 20, 20]}                         | ${'a batch that takes the agent over its limit mid-way'}
  ${1000}       | ${500} | ${{ a: limited(100, 90) }}                     | ${[['a', 20], ['b', 20], ['a', 5], ['b', 5]]} | ${'an agent over its limit beside one without a limit'}
  ${30}         | ${500} | ${{ a: limited(100, 50), b: limited(10) }}     | ${[['b', 20], ['a', 20], ['a', 40], ['b', 1]]} | ${'the plan runs out while one agent is held by its limit'}
  ${1000}       | ${500} | ${{ a: limited(null, 5000) }}                  | ${[40]}                                     | ${'settings without a limit: plan credits as usual'}
`('$case: record_usage splits as splitDebit does', async ({ planRemaining, wallet, agents, debits }: { planRemaining: number; wallet: number; agents: Agents; debits: Debits }) => {
  const orgId = await orgWithBalance(db, { planRemaining, wallet });
  await withAgents(orgId, agents);
  const events = asEvents(debits).map(({ agent, credits }, i) => ({ id: `e${i}`, agentId: agent, meter: 'message', quantity: 1, credits, occurredAt: new Date().toISOString() }));
  await recordUsage(db, orgId, events);

  const { rows } = await db.query<{ ref: string; pool: string; credits: number }>("SELECT ref, pool, credits FROM ledger_entries WHERE org_id = $1 AND kind = 'usage'", [orgId]);
  const debited = (id: string, pool: string) => 0 - (rows.find((r) => r.ref === id && r.pool === pool)?.credits ?? 0);
  const recorded = events.map(({ id }) => ({ plan: debited(id, 'plan'), wallet: debited(id, 'wallet') }));
  expect(recorded).toEqual(mirrored({ planRemaining, wallet }, agents, debits));
});

test('an agent over its limit across two batches: the spend of the first counts in the second', async () => {
  const orgId = await orgWithBalance(db, { planRemaining: 1000, wallet: 100 });
  await withAgents(orgId, { a: limited(50) });
  const batch = (from: number, credits: number[]) => credits.map((c, i) => ({ id: `e${from + i}`, agentId: 'a', meter: 'message', quantity: 1, credits: c, occurredAt: new Date().toISOString() }));
  await recordUsage(db, orgId, batch(0, [40]));
  await recordUsage(db, orgId, batch(1, [30, 10]));
  const { rows } = await db.query<{ plan_remaining: number; wallet: number }>('SELECT plan_remaining, wallet FROM balances WHERE org_id = $1', [orgId]);
  // 40 from the plan, then 10 up to the limit, then 20 + 10 from the wallet.
  expect(rows[0]).toEqual({ plan_remaining: 950, wallet: 70 });
  const sums = await db.query<{ pool: string; sum: number }>('SELECT pool, SUM(credits)::bigint AS sum FROM ledger_entries WHERE org_id = $1 GROUP BY pool ORDER BY pool', [orgId]);
  expect(sums.rows).toEqual([{ pool: 'plan', sum: 950 }, { pool: 'wallet', sum: 70 }]);
});

// PostgreSQL owns the debit split (record_usage); the policy simulation uses its TypeScript mirror,
// splitDebit. The same cases run through both: each event's ledger entries, and the totals on its
// usage_events row, must be the mirror's split.
// An agent at or over its monthly limit spends grants and the wallet only (spec §6), so cases include
// agents with limits and spend this period; grants are spent after the plan in their spend order
// (domain/grants.ts spendOrder: priority, then soonest expiry, then creation), so cases include
// grants of equal priority and equal expiry.
import type { Pool } from 'pg';
import { planHeadroom } from '../../domain/agents';
import { splitAcrossGrants, type SpendableGrant } from '../../domain/grants';
import { debited as afterDebit, splitDebit, type Pools } from '../../domain/pools';
import { createGrant } from '../../store/grants';
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

/** A grant of the case: its priority, its expiry in days from now (null: never), its credits. Created in this order. */
type Grants = Array<[priority: number, expiresInDays: number | null, credits: number]>;

type Split = { plan: number; grants: Record<string, number>; wallet: number };

/** The mirror, applied event after event as record_usage applies a batch; grants named g0, g1, … in creation order. */
function mirrored(start: Pools, agents: Agents, debits: Debits, grantCases: Grants = [], now = Date.now()): Split[] {
  let grants: SpendableGrant[] = grantCases.map(([priority, days, credits], i) => ({
    id: `g${i}`,
    priority,
    expiresAt: days === null ? null : new Date(now + days * 86_400_000).toISOString(),
    seq: i,
    remaining: credits,
  }));
  let pools: Pools = { ...start, grants: grantCases.reduce((sum, g) => sum + g[2], 0) };
  const spent = new Map(Object.entries(agents).map(([id, a]) => [id, a.spent]));
  return asEvents(debits).map(({ agent, credits }) => {
    const headroom = planHeadroom({ monthlyLimitCredits: agents[agent]?.limit ?? null, spentThisMonth: spent.get(agent) ?? 0 });
    const split = splitDebit(pools, credits, headroom);
    pools = afterDebit(pools, split);
    const taken = splitAcrossGrants(grants, split.grants);
    grants = grants.map((g) => ({ ...g, remaining: g.remaining - (taken.find((t) => t.grantId === g.id)?.credits ?? 0) }));
    spent.set(agent, (spent.get(agent) ?? 0) + credits);
    return { plan: split.plan, grants: Object.fromEntries(taken.map((t) => [t.grantId, t.credits])), wallet: split.wallet };
  });
}

/** Records the debits through record_usage and answers each event's split as its ledger entries say. */
async function recorded(start: Pools, agents: Agents, debits: Debits, grantCases: Grants = [], now = Date.now()): Promise<Split[]> {
  const orgId = await orgWithBalance(db, start);
  await withAgents(orgId, agents);
  const names = new Map<string, string>();
  for (const [i, [priority, days, credits]] of grantCases.entries()) {
    const expiresAt = days === null ? null : new Date(now + days * 86_400_000).toISOString();
    const { grant } = await createGrant(db, orgId, { credits, name: `g${i}`, category: 'promotional', priority, expiresAt, idempotencyKey: null }, new Date().toISOString());
    names.set(grant.id, `g${i}`);
  }
  const events = asEvents(debits).map(({ agent, credits }, i) => ({ id: `e${i}`, agentId: agent, meter: 'message', quantity: 1, credits, occurredAt: new Date().toISOString() }));
  await recordUsage(db, orgId, events);
  const { rows } = await db.query<{ ref: string; pool: string; credits: number; grant_id: string | null }>(
    "SELECT ref, pool, credits, grant_id FROM ledger_entries WHERE org_id = $1 AND kind = 'usage'",
    [orgId],
  );
  const debited = (id: string, pool: string) => 0 - (rows.find((r) => r.ref === id && r.pool === pool)?.credits ?? 0);
  const fromLedger = events.map(({ id }) => ({
    plan: debited(id, 'plan'),
    grants: Object.fromEntries(rows.filter((r) => r.ref === id && r.pool === 'grant').map((r) => [names.get(r.grant_id!)!, -r.credits])),
    wallet: debited(id, 'wallet'),
  }));
  // The event's row carries the same totals (GET /usage reads them), and its entries are its
  // request's (ids in the request's block: migration 17), where a void reads them.
  const onRows = await db.query<{ id: string; plan_credits: number; grant_credits: number; wallet_credits: number; request_seq: number | null }>(
    'SELECT id, plan_credits, grant_credits, wallet_credits, request_seq FROM usage_events WHERE org_id = $1',
    [orgId],
  );
  const total = (grants: Record<string, number>) => Object.values(grants).reduce((sum, c) => sum + c, 0);
  expect(events.map(({ id }) => onRows.rows.find((r) => r.id === id)).map((r) => ({ plan: r!.plan_credits, grants: r!.grant_credits, wallet: r!.wallet_credits }))).toEqual(
    fromLedger.map((f) => ({ plan: f.plan, grants: total(f.grants), wallet: f.wallet })),
  );
  const ids = await db.query<{ id: number; ref: string }>("SELECT id, ref FROM ledger_entries WHERE org_id = $1 AND kind = 'usage'", [orgId]);
  for (const { id, ref } of ids.rows) {
    const request = onRows.rows.find((r) => r.id === ref)!.request_seq!;
    expect(id > request * 2 ** 20 && id < (request + 1) * 2 ** 20).toBe(true);
  }
  return fromLedger;
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
  expect(await recorded({ planRemaining, wallet }, agents, debits)).toEqual(mirrored({ planRemaining, wallet }, agents, debits));
});

test.each`
  planRemaining | wallet | agents                      | grants                                          | debits                 | case
  ${0}          | ${50}  | ${{}}                       | ${[[50, null, 100]]}                            | ${[30]}                | ${'a grant before the wallet'}
  ${20}         | ${50}  | ${{}}                       | ${[[50, null, 100]]}                            | ${[30]}                | ${'the plan first, then the grant'}
  ${0}          | ${50}  | ${{}}                       | ${[[50, null, 10], [10, null, 10]]}             | ${[15]}                | ${'a lower priority first'}
  ${0}          | ${50}  | ${{}}                       | ${[[50, 30, 10], [50, 5, 10]]}                  | ${[15]}                | ${'equal priority: the soonest expiry first'}
  ${0}          | ${50}  | ${{}}                       | ${[[50, null, 10], [50, 5, 10]]}                | ${[15]}                | ${'equal priority: no expiry last'}
  ${0}          | ${50}  | ${{}}                       | ${[[50, 5, 10], [50, 5, 10]]}                   | ${[15]}                | ${'equal priority and expiry: creation order'}
  ${0}          | ${50}  | ${{}}                       | ${[[50, null, 10], [50, null, 10]]}             | ${[15]}                | ${'no expiry on either: creation order'}
  ${0}          | ${50}  | ${{}}                       | ${[[0, null, 10], [100, 1, 10]]}                | ${[15]}                | ${'priority beats expiry'}
  ${5}          | ${-10} | ${{}}                       | ${[[50, null, 10], [40, 2, 5]]}                 | ${[4, 4, 4, 4, 4, 4]}  | ${'a batch through the plan, two grants and into debt'}
  ${0}          | ${0}   | ${{}}                       | ${[[50, null, 10], [40, 2, 5]]}                 | ${[0, 15, 3]}          | ${'a zero event, one that uses every grant, then the wallet'}
  ${1000}       | ${50}  | ${{ a: limited(100, 100) }} | ${[[50, null, 20]]}                             | ${[30]}                | ${'an agent at its limit spends grants then the wallet'}
  ${1000}       | ${500} | ${{ a: limited(100, 90) }}  | ${[[50, null, 20]]}                             | ${[['a', 30], ['b', 5]]} | ${'an event across the limit: plan, then grant'}
`('$case: record_usage spends grants as splitDebit and splitAcrossGrants do', async ({ planRemaining, wallet, agents, grants, debits }: { planRemaining: number; wallet: number; agents: Agents; grants: Grants; debits: Debits }) => {
  const now = Date.now();
  expect(await recorded({ planRemaining, wallet }, agents, debits, grants, now)).toEqual(mirrored({ planRemaining, wallet }, agents, debits, grants, now));
});

test('a grant past its expiry that is not swept yet is not spent', async () => {
  const orgId = await orgWithBalance(db, { planRemaining: 0, wallet: 100 });
  const { grant } = await createGrant(db, orgId, { credits: 50, name: 'soon', category: 'goodwill', priority: 0, expiresAt: new Date(Date.now() + 300).toISOString(), idempotencyKey: null }, new Date().toISOString());
  for (;;) {
    const { rows } = await db.query<{ due: boolean }>('SELECT expires_at <= now() AS due FROM credit_grants WHERE org_id = $1 AND id = $2', [orgId, grant.id]);
    if (rows[0].due) break;
    await new Promise((resolve) => setTimeout(resolve, 50)); // polling PostgreSQL's clock for the condition
  }
  await recordUsage(db, orgId, [{ id: 'e0', agentId: 'a', meter: 'message', quantity: 1, credits: 10, occurredAt: new Date().toISOString() }]);
  const { rows } = await db.query<{ pool: string; credits: number }>("SELECT pool, credits FROM ledger_entries WHERE org_id = $1 AND kind = 'usage'", [orgId]);
  expect(rows).toEqual([{ pool: 'wallet', credits: -10 }]);
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

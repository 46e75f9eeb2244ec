// GET /usage/daily on a busy organization (issue 17, item 8): 300,000 usage entries in a month
// answer in well under 100 ms, with each day's plan and wallet credits right, the empty days as
// zeros, and nothing of other organizations counted; and usage reported through the API adds to
// its day exactly what its ledger entries say (record_usage writes both).
import { createOrg, expectStatus, messages, postUsage } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';
import { bulkLedgerIdBlock } from '../helpers/database';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const ENTRIES = 300_000;
const MONTH_START = Date.parse('2026-10-01T00:00:00Z');
const DAY_MS = 86_400_000;
/** Days of October (0-based) with usage; the 10th to the 12th have none. */
const BUSY_DAYS = Array.from({ length: 31 }, (_, i) => i).filter((i) => i < 9 || i > 11);

/** Entry g of the bulk month, as the INSERT below writes it. */
const entry = (g: number) => ({
  day: BUSY_DAYS[g % BUSY_DAYS.length],
  pool: g % 3 === 0 ? 'wallet' : 'plan',
  credits: (g % 5) + 1,
});


/** A month of usage for `orgId` in one statement: entry g on its day at some millisecond of it (g = 0 at midnight). */
async function writeBusyMonth(orgId: string): Promise<void> {
  const firstId = await bulkLedgerIdBlock(stack.db);
  await stack.db.query(
    `INSERT INTO ledger_postings (id, org_id, at, kind, pool, credits, ref)
     SELECT $5::bigint + g, $1, to_timestamp($2::bigint / 1000.0) + ($3::int[])[g % cardinality($3::int[]) + 1] * interval '1 day' + ((g::bigint * 7919) % 86400000) * interval '1 millisecond',
            'usage', CASE WHEN g % 3 = 0 THEN 'wallet' ELSE 'plan' END, -((g % 5) + 1), 'bulk-' || g
     FROM generate_series(0, $4::int - 1) g`,
    [orgId, MONTH_START, BUSY_DAYS, ENTRIES, firstId],
  );
}

/** What record_usage adds to daily_usage for the usage entries it writes, for the entries written directly here. */
async function addDailyUsage(orgId: string): Promise<void> {
  await stack.db.query(
    `INSERT INTO daily_usage (org_id, day, plan_credits, wallet_credits)
     SELECT org_id, (at AT TIME ZONE 'UTC')::date,
            COALESCE(-SUM(credits) FILTER (WHERE pool = 'plan'), 0), COALESCE(-SUM(credits) FILTER (WHERE pool = 'wallet'), 0)
     FROM ledger_entries WHERE org_id = $1 AND kind = 'usage' GROUP BY 1, 2`,
    [orgId],
  );
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** What each day of October must show, summed here from the entries' own formula. */
function expectedOctober(): Array<{ date: string; planCredits: number; grantCredits: number; walletCredits: number }> {
  const days = Array.from({ length: 31 }, (_, i) => ({ date: isoDay(MONTH_START + i * DAY_MS), planCredits: 0, grantCredits: 0, walletCredits: 0 }));
  for (let g = 0; g < ENTRIES; g++) {
    const e = entry(g);
    if (e.pool === 'plan') days[e.day].planCredits += e.credits;
    else days[e.day].walletCredits += e.credits;
  }
  return days;
}

const daily = (orgId: string, from: string, to: string) =>
  expectStatus(stack.http.get<{ days: Array<{ date: string; planCredits: number; grantCredits: number; walletCredits: number }> }>(`/v1/orgs/${orgId}/usage/daily?from=${from}&to=${to}`, stack.token('ops')), 200);

async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await call();
  return { ms: performance.now() - started, result };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test('31 days of a 300,000-entry month answer in < 100 ms, each day right, empty days as zeros', async () => {
  const orgId = await createOrg(stack, { paymentMethodId: null });
  const neighbour = await createOrg(stack, { paymentMethodId: null });
  await writeBusyMonth(orgId);
  await writeBusyMonth(neighbour);
  // At the range's edges, and of other kinds: none of these is October's usage.
  await stack.db.query(
    `INSERT INTO ledger_postings (org_id, at, kind, pool, credits, ref) VALUES
       ($1, '2026-09-30T23:59:59.999Z', 'usage', 'plan', -1000, 'edge-before'),
       ($1, '2026-11-01T00:00:00Z', 'usage', 'wallet', -1000, 'edge-after'),
       ($1, '2026-10-05T12:00:00Z', 'top_up', 'wallet', 5000, 'top-up'),
       ($1, '2026-10-05T12:00:00Z', 'plan_renewal', 'plan', 1000, 'renewal-in-test')`,
    [orgId],
  );
  await addDailyUsage(orgId);
  await addDailyUsage(neighbour);
  const { rows } = await stack.db.query(`SELECT count(*)::int AS n FROM ledger_entries WHERE org_id = $1 AND kind = 'usage'`, [orgId]);
  expect(rows[0].n).toBe(ENTRIES + 2);

  const expected = expectedOctober();
  expect(expected.filter((d) => d.planCredits === 0 && d.walletCredits === 0).map((d) => d.date)).toEqual(['2026-10-10', '2026-10-11', '2026-10-12']);
  const calls = [];
  for (let i = 0; i < 5; i++) calls.push(await timed(() => daily(orgId, '2026-10-01', '2026-10-31')));
  for (const { result } of calls) expect(result.days).toEqual(expected);
  expect(median(calls.map((c) => c.ms))).toBeLessThan(100);

  // A year around it: the same October, zeros elsewhere (the edge entries on their own days).
  const year = await timed(() => daily(orgId, '2026-01-01', '2026-12-31'));
  expect(year.result.days).toHaveLength(365);
  expect(year.result.days.filter((d) => d.date.startsWith('2026-10-'))).toEqual(expected);
  const others = year.result.days.filter((d) => !d.date.startsWith('2026-10-') && (d.planCredits !== 0 || d.walletCredits !== 0));
  expect(others).toEqual([
    { date: '2026-09-30', planCredits: 1000, grantCredits: 0, walletCredits: 0 },
    { date: '2026-11-01', planCredits: 0, grantCredits: 0, walletCredits: 1000 },
  ]);
  expect(year.ms).toBeLessThan(1000);
});

test('usage reported through the API shows on its UTC day at once, as the ledger has it', async () => {
  const orgId = await createOrg(stack, { planCredits: 10, paymentMethodId: null });
  await expectStatus(stack.http.post(`/v1/orgs/${orgId}/credit-grants`, stack.token('ops'), { credits: 2, name: 'Promo', category: 'promotional' }), 201);
  await postUsage(stack, orgId, messages(4));
  await postUsage(stack, orgId, messages(11)); // 6 plan credits left, 2 from the grant, then 3 from the wallet
  const { rows } = await stack.db.query<{ date: string; plan: number; grants: number; wallet: number }>(
    `SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS date, -SUM(credits) FILTER (WHERE pool = 'plan')::int AS plan,
            -SUM(credits) FILTER (WHERE pool = 'grant')::int AS grants, -SUM(credits) FILTER (WHERE pool = 'wallet')::int AS wallet
     FROM ledger_entries WHERE org_id = $1 AND kind = 'usage' GROUP BY 1 ORDER BY 1`,
    [orgId],
  );
  const byLedger = rows.map((r) => ({ date: r.date, planCredits: r.plan ?? 0, grantCredits: r.grants ?? 0, walletCredits: r.wallet ?? 0 }));
  const body = await daily(orgId, byLedger[0].date, byLedger[byLedger.length - 1].date);
  expect(body.days).toEqual(byLedger);
  expect(body.days.reduce((sum, d) => sum + d.planCredits, 0)).toBe(10);
  expect(body.days.reduce((sum, d) => sum + d.grantCredits, 0)).toBe(2);
  expect(body.days.reduce((sum, d) => sum + d.walletCredits, 0)).toBe(3);
});

// Phase "simulate": POST .../auto-recharge/simulate over a month of one busy organization's ledger.
import { ops, ownerOf, RUN, SIMULATE_ENTRIES } from '../config';
import { call, expectOk } from '../http';
import type { LayoutRun } from '../layoutRun';
import { percentile, round, thousands } from '../numbers';

/** A month of SIMULATE_ENTRIES usage entries (and a recorded recharge every 1,000) over the last 30 days, with SQL. */
async function writeBusyMonth(run: LayoutRun, orgId: string): Promise<number> {
  const insertStarted = performance.now();
  await run.stack.db.query(
    `INSERT INTO ledger_postings (org_id, at, kind, pool, credits, ref)
     SELECT $1, now() - interval '30 days' + g * (interval '30 days' / $2::int), e.kind, 'wallet', e.credits, e.kind || '-' || g
     FROM generate_series(1, $2::int) g,
          LATERAL (SELECT 'usage' AS kind, -3 AS credits UNION ALL SELECT 'auto_recharge', 5000 WHERE g % 1000 = 0) e
     ORDER BY g, e.kind DESC`,
    [orgId, SIMULATE_ENTRIES],
  );
  await run.stack.db.query('ANALYZE ledger_postings');
  return round((performance.now() - insertStarted) / 1000);
}

export async function measureSimulation(run: LayoutRun): Promise<void> {
  const { url } = run.stack.app;
  // Not in `run.created`: its ledger has no usage_events rows, so the exactly-once check leaves it out.
  const id = `simulate-${RUN}`;
  await expectOk(call(url, 'POST', '/v1/orgs', ops, { id, name: id }));
  await expectOk(call(url, 'PUT', `/v1/orgs/${id}/subscription`, ops, { status: 'active', planCredits: 100_000, currentPeriodEnd: new Date(Date.now() + 30 * 86400_000).toISOString() }));
  const insertSeconds = await writeBusyMonth(run, id);
  const owner = ownerOf(id);
  const body = { thresholdCredits: 20_000, rechargeCredits: 50_000, maxRechargesPerMonth: 20 };
  const times: number[] = [];
  let answer: any;
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    answer = await expectOk(call(url, 'POST', `/v1/orgs/${id}/auto-recharge/simulate`, owner, body));
    times.push(performance.now() - t0);
  }
  const [first, ...warm] = times;
  const f = {
    ledgerEntries: SIMULATE_ENTRIES + Math.floor(SIMULATE_ENTRIES / 1000),
    insertSeconds,
    firstMs: round(first),
    p50Ms: round(percentile(warm, 50)),
    maxMs: round(Math.max(...warm)),
    recharges: answer.recharges,
  };
  run.figures.service.simulation = f;
  console.log(`  policy simulation over ${thousands(f.ledgerEntries)} ledger entries of one organization (written in ${insertSeconds} s): first ${f.firstMs} ms, then p50 ${f.p50Ms} ms, max ${f.maxMs} ms (${f.recharges} recharges)`);
}

// The ledger: every pool change, written in the transaction that moves the pool (record_usage in
// usage.ts, commitBilling.ts), so the ledger sum of each pool is its balance. Usage entries are
// derived from what a usage request wrote, its usage_requests row and its events' splits
// (migration 17: usage_request_entries); every other entry is a row of ledger_postings; the view
// ledger_entries is both, in one id order. Append-only: a trigger (ledger_is_append_only) refuses
// UPDATE and DELETE on both tables. A posting other than usage_void is unique per (org, kind, pool,
// ref), which makes the workflow's commits idempotent; a usage entry is unique by its event's id
// (record_usage records each id once), a usage_void entry by its event's voided_at (usageEvents.ts).
// Read here: the ledger pages (ledger_page_newest, ledger_page_oldest), a usage event's entries
// (for its void), and the policy simulation and the forecast (the ledger replayed in pages, never
// held whole).
import type { Pool, PoolClient, QueryResult } from 'pg';
import type { LedgerEntry, OrgBillingRecord } from '../domain/orgBilling';
import { createPolicySimulation, type SimulationPolicy, type SimulationResult } from '../domain/policySimulation';
import type { LedgerKind, Pool as LedgerPool } from '../domain/ledger';
import type { ScheduledExpiry } from '../domain/burnForecast';
import type { EventDebit } from '../domain/usageCorrection';
import { inTransaction } from './transaction';

/** Inserts the entry unless its (kind, pool, ref) exists; the pools move only with an inserted entry. Never usage (record_usage's
 * alone); a usage_void entry is not checked (a void writes its entries once, under the balance lock: usageEvents.ts). */
export async function insertLedgerEntry(tx: PoolClient, orgId: string, entry: LedgerEntry, at: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO ledger_postings (org_id, at, kind, pool, credits, ref, grant_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (org_id, kind, pool, ref) WHERE kind NOT IN ('usage', 'usage_void') DO NOTHING`,
    [orgId, at, entry.kind, entry.pool, entry.credits, entry.ref, entry.grantId ?? null],
  );
  return rowCount === 1;
}

/** Where a usage event's entries are: its request's (migration 17 on), or postings in a ledger id range (before). */
export interface UsageEntriesSource {
  requestSeq: number | null;
  from: number | null;
  to: number | null;
}

/** A usage event's entries, pool by pool (grants in spend order), from its request, or in its postings' range: no index on ref needed. */
export async function readUsageDebit(tx: PoolClient, orgId: string, eventId: string, source: UsageEntriesSource): Promise<EventDebit> {
  const { rows } = await tx.query<{ pool: LedgerPool; grant_id: string | null; credits: number }>(
    `SELECT pool, grant_id, credits FROM (
       SELECT x.id, x.pool, x.grant_id, -x.credits AS credits
       FROM usage_requests r CROSS JOIN LATERAL usage_request_entries(r) x
       WHERE r.org_id = $1 AND r.seq = $5 AND x.ref = $4
       UNION ALL
       SELECT id, pool, grant_id, -credits FROM ledger_postings
       WHERE org_id = $1 AND id BETWEEN $2 AND $3 AND kind = 'usage' AND ref = $4
     ) e ORDER BY id`,
    [orgId, source.from, source.to, eventId, source.requestSeq],
  );
  const sum = (pool: LedgerPool) => rows.filter((r) => r.pool === pool).reduce((total, r) => total + r.credits, 0);
  return { plan: sum('plan'), grants: rows.filter((r) => r.pool === 'grant').map((r) => ({ grantId: r.grant_id!, credits: r.credits })), wallet: sum('wallet') };
}

export interface ListedLedgerEntry {
  id: string;
  orgId: string;
  at: Date;
  kind: LedgerKind;
  pool: LedgerPool;
  credits: number;
  ref: string;
  /** The grant a 'grant' pool entry moves; null for the other pools. */
  grantId: string | null;
}

/** A page of the ledger, newest first; `cursor` is the id of the last entry of the previous page. */
export async function listLedgerEntries(db: Pool, orgId: string, limit: number, cursor: string | undefined): Promise<{ entries: ListedLedgerEntry[]; nextCursor: string | null }> {
  // Ordered by the bigint column: the text id of the output would sort "999" after "1004".
  const { rows } = await db.query<ListedLedgerEntry>(
    `SELECT id::text, $1 AS "orgId", at, kind, pool, credits, ref, grant_id AS "grantId"
     FROM ledger_page_newest($1, $2::bigint, $3) e ORDER BY e.id DESC`,
    [orgId, cursor ?? null, limit + 1],
  );
  const entries = rows.slice(0, limit);
  return { entries, nextCursor: rows.length > limit ? entries[entries.length - 1].id : null };
}

/** A row of the simulation's pages: id (text), kind, pool, credits, at (epoch ms), ref. */
type SimulatedRow = [string, LedgerKind, LedgerPool, number, number, string];

/** Rows fetched per page of the window: bounds the memory of one simulation. */
export const SIMULATION_PAGE_ROWS = 50_000;

export interface SimulationWindow {
  orgId: string;
  policy: SimulationPolicy;
  pricePer1000CreditsCents: number;
  minTopUpCredits: number;
  from: number;
  to: number;
}

/**
 * Replays the window through the simulation, in one read-only snapshot: the pools' sums before
 * `from`, the instants a new period started (a plan.renewed event, or a subscription.updated whose
 * period end differs from the one before it), then the window's entries in ledger order, by pages
 * of SIMULATION_PAGE_ROWS (ledger_page_oldest, keyset on the entry id).
 */
export async function simulateFromLedger(db: Pool, window: SimulationWindow, pageRows = SIMULATION_PAGE_ROWS): Promise<SimulationResult> {
  const { orgId } = window;
  const from = new Date(window.from);
  const to = new Date(window.to);
  return inTransaction(db, async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    // The postings' sums and the usage requests' totals (what their entries sum to).
    const sums = await tx.query<{ plan: number; grants: number; wallet: number }>(
      `SELECT (p.plan - r.plan)::bigint AS plan, (p.grants - r.grants)::bigint AS grants, (p.wallet - r.wallet)::bigint AS wallet
       FROM (SELECT COALESCE(SUM(credits) FILTER (WHERE pool = 'plan'), 0) AS plan,
                    COALESCE(SUM(credits) FILTER (WHERE pool = 'grant'), 0) AS grants,
                    COALESCE(SUM(credits) FILTER (WHERE pool = 'wallet'), 0) AS wallet
             FROM ledger_postings WHERE org_id = $1 AND at < $2) p,
            (SELECT COALESCE(SUM(plan_credits), 0) AS plan, COALESCE(SUM(grant_credits), 0) AS grants, COALESCE(SUM(wallet_credits), 0) AS wallet
             FROM usage_requests WHERE org_id = $1 AND at < $2) r`,
      [orgId, from],
    );
    const renewals = await tx.query<{ at: number }>(
      `SELECT (date_part('epoch', at) * 1000)::bigint AS at FROM (
         SELECT at, data->>'currentPeriodEnd' AS period_end,
                LAG(data->>'currentPeriodEnd') OVER (ORDER BY seq) AS previous_end
         FROM events WHERE org_id = $1 AND type IN ('plan.renewed', 'subscription.updated')
       ) e
       WHERE period_end IS DISTINCT FROM previous_end AND at >= $2 AND at < $3`,
      [orgId, from, to],
    );
    const simulation = createPolicySimulation({
      startPools: { planRemaining: sums.rows[0].plan, grants: sums.rows[0].grants, wallet: sums.rows[0].wallet },
      policy: window.policy,
      pricePer1000CreditsCents: window.pricePer1000CreditsCents,
      minTopUpCredits: window.minTopUpCredits,
      from: window.from,
      to: window.to,
      renewals: renewals.rows.map((r) => r.at),
    });
    // The cursor as text: entry ids go past 2^53 (migration 17).
    let after: string | null = null;
    for (;;) {
      const page: QueryResult<SimulatedRow> = await tx.query<SimulatedRow>({
        text: `SELECT id::text, kind, pool, credits, (date_part('epoch', at) * 1000)::bigint, ref
               FROM ledger_page_oldest($1, $2::bigint, $3, $4, $5) e ORDER BY e.id`,
        values: [orgId, after, from, to, pageRows],
        rowMode: 'array',
      });
      for (const [, kind, pool, credits, at, ref] of page.rows) simulation.add({ kind, pool, credits, at, ref });
      if (page.rows.length < pageRows) break;
      after = page.rows[page.rows.length - 1][0];
    }
    return simulation.result();
  });
}

export interface ForecastSource {
  availableCredits: number;
  /** Usage debited since `since` (credits, positive). */
  usageCredits: number;
  /** Epoch ms of the organization's first usage entry, or null. */
  firstUsageAt: number | null;
  autoRecharge: OrgBillingRecord['autoRecharge'];
  counters: OrgBillingRecord['counters'];
  subscription: OrgBillingRecord['subscription'];
  /** The live grants' expiries ahead: what each would take if nothing were spent first. */
  expiries: ScheduledExpiry[];
}

/** What the forecast needs, in one statement: the balance, the record, the usage since `since`, the first usage. */
export async function readForecastSource(db: Pool, orgId: string, since: number, now: number): Promise<ForecastSource | undefined> {
  const { rows } = await db.query<{
    available: number;
    auto_recharge: OrgBillingRecord['autoRecharge'];
    counters: OrgBillingRecord['counters'];
    subscription: OrgBillingRecord['subscription'];
    usage: number;
    first_usage_at: number | null;
    expiries: Array<{ credits: number; at: number }>;
  }>(
    `SELECT available_credits(b) AS available, r.auto_recharge, r.counters, r.subscription,
            -- The usage requests' totals and the usage postings (before migration 17); a void counts as
            -- negative usage when it is made.
            ((SELECT COALESCE(SUM(q.plan_credits + q.grant_credits + q.wallet_credits), 0) FROM usage_requests q
              WHERE q.org_id = $1 AND q.at >= $2 AND q.at <= $3)
             - (SELECT COALESCE(SUM(l.credits), 0) FROM ledger_postings l
                WHERE l.org_id = $1 AND l.kind IN ('usage', 'usage_void') AND l.at >= $2 AND l.at <= $3))::bigint AS usage,
            (SELECT (date_part('epoch', LEAST(
               (SELECT l.at FROM ledger_postings l WHERE l.org_id = $1 AND l.kind = 'usage' ORDER BY l.id LIMIT 1),
               (SELECT q.at FROM usage_requests q WHERE q.org_id = $1 AND q.entry_count > 0 ORDER BY q.seq LIMIT 1))) * 1000)::bigint) AS first_usage_at,
            ARRAY(SELECT json_build_object('credits', g.remaining, 'at', (date_part('epoch', g.expires_at) * 1000)::bigint) FROM credit_grants g
                  WHERE g.org_id = $1 AND g.remaining > 0 AND g.expired_at IS NULL AND g.voided_at IS NULL AND g.expires_at > $3
                  ORDER BY g.expires_at) AS expiries
     FROM balances b JOIN org_billing r USING (org_id) WHERE b.org_id = $1`,
    [orgId, new Date(since), new Date(now)],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    availableCredits: row.available,
    usageCredits: row.usage,
    firstUsageAt: row.first_usage_at,
    autoRecharge: row.auto_recharge,
    counters: row.counters,
    subscription: row.subscription,
    expiries: row.expiries.map((e) => ({ credits: Number(e.credits), at: Number(e.at) })),
  };
}

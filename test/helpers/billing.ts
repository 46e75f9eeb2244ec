// Scenario steps through the REST API, and checks of the ledger against the billing summary.
import { Client, type Pool, type PoolClient } from 'pg';
import type { BillingSummary } from '../../domain/summary';
import type { Stack } from './stack';
import { eventually, uniqueOrgId } from './stack';

export interface OrgSetup {
  planCredits?: number;
  paymentMethodId?: string | null;
  autoRecharge?: AutoRechargeSettings | null;
  periodEnd?: string;
  parentId?: string;
}

export const inOneMonth = () => new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();

export async function expectStatus<T>(promise: Promise<{ status: number; body: T }>, status: number): Promise<T> {
  const res = await promise;
  if (res.status !== status) throw new Error(`expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Creates an org with an active subscription and, unless told otherwise, a card and auto-recharge. */
export async function createOrg(stack: Stack, setup: OrgSetup = {}): Promise<string> {
  const orgId = uniqueOrgId();
  const ops = stack.token('ops');
  const owner = stack.token('owner', orgId);
  await expectStatus(stack.http.post('/v1/orgs', ops, { id: orgId, name: `Org ${orgId}`, parentId: setup.parentId }), 201);
  await expectStatus(
    stack.http.put(`/v1/orgs/${orgId}/subscription`, ops, {
      status: 'active',
      planCredits: setup.planCredits ?? 1000,
      currentPeriodEnd: setup.periodEnd ?? inOneMonth(),
    }),
    200,
  );
  const paymentMethodId = setup.paymentMethodId === undefined ? 'pm_card_visa' : setup.paymentMethodId;
  if (paymentMethodId) await expectStatus(stack.http.put(`/v1/orgs/${orgId}/payment-method`, owner, { paymentMethodId }), 200);
  if (setup.autoRecharge) await enableAutoRecharge(stack, orgId, setup.autoRecharge);
  return orgId;
}

export type AutoRechargeSettings = { thresholdCredits: number; rechargeCredits: number; maxRechargesPerMonth: number };

/** The Owner turns auto-recharge on with these settings. */
export async function enableAutoRecharge(stack: Stack, orgId: string, settings: AutoRechargeSettings): Promise<void> {
  await expectStatus(stack.http.put(`/v1/orgs/${orgId}/auto-recharge`, stack.token('owner', orgId), { enabled: true, ...settings }), 200);
}

let eventCounter = 0;
export function messages(count: number, agentId = 'agent-1'): Array<{ id: string; agentId: string; meter: string; quantity: number }> {
  return Array.from({ length: count }, () => ({ id: `evt-${process.pid}-${Date.now()}-${++eventCounter}`, agentId, meter: 'message', quantity: 1 }));
}

export async function postUsage(stack: Stack, orgId: string, events: unknown[]): Promise<void> {
  await expectStatus(stack.http.post(`/v1/orgs/${orgId}/usage`, stack.token('service'), { events }), 202);
}

export async function summary(stack: Stack, orgId: string): Promise<BillingSummary> {
  return expectStatus(stack.http.get<BillingSummary>(`/v1/orgs/${orgId}/billing`, stack.token('ops')), 200);
}

/** Waits until no payment is in flight and `check` holds; returns the summary. */
export async function settled(stack: Stack, orgId: string, check: (s: BillingSummary) => boolean = () => true): Promise<BillingSummary> {
  return eventually(async () => {
    const current = await summary(stack, orgId);
    if (current.pendingPayment !== null || !check(current)) throw new Error(`not settled: ${JSON.stringify(current)}`);
    return current;
  });
}

export async function ledgerSums(db: Pool, orgId: string): Promise<{ plan: number; wallet: number }> {
  const { rows } = await db.query<{ pool: string; sum: number }>(
    'SELECT pool, SUM(credits)::bigint AS sum FROM ledger_entries WHERE org_id = $1 GROUP BY pool',
    [orgId],
  );
  const sum = (pool: string) => rows.find((r) => r.pool === pool)?.sum ?? 0;
  return { plan: sum('plan'), wallet: sum('wallet') };
}

/** The grant pool's ledger sum, and the grants whose own ledger sum is not their remaining (none, when all is well). */
export async function grantLedgerSums(db: Pool | PoolClient, orgId: string): Promise<{ total: number; mismatched: string[] }> {
  const { rows } = await db.query<{ total: number; mismatched: string[] }>(
    `SELECT (SELECT COALESCE(SUM(credits), 0) FROM ledger_entries WHERE org_id = $1 AND pool = 'grant')::bigint AS total,
            ARRAY(SELECT g.id FROM credit_grants g
                  WHERE g.org_id = $1 AND g.remaining <> (SELECT COALESCE(SUM(l.credits), 0) FROM ledger_entries l WHERE l.org_id = $1 AND l.grant_id = g.id)
                  ORDER BY g.id) AS mismatched`,
    [orgId],
  );
  return rows[0];
}

export interface PoolSnapshot {
  plan: number;
  planLedger: number;
  grants: number;
  grantLedger: number;
  wallet: number;
  walletLedger: number;
  /** Grants whose own ledger sum is not their remaining. */
  mismatched: string[];
}

/**
 * Every committed state it can see while `work` runs: each pool of the balance beside its ledger
 * sum, each grant's remaining beside its own, read in one REPEATABLE READ snapshot at a time.
 */
export async function poolSnapshotsDuring(stack: Stack, orgId: string, work: () => Promise<unknown>): Promise<PoolSnapshot[]> {
  const reader = new Client({ connectionString: stack.settings.databaseUrl });
  await reader.connect();
  let writing = true;
  const snapshots: PoolSnapshot[] = [];
  const watching = (async () => {
    while (writing) {
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      const { rows } = await reader.query(
        `SELECT b.plan_remaining AS plan, b.grant_credits AS grants, b.wallet,
           (SELECT COALESCE(SUM(credits), 0) FROM ledger_entries WHERE org_id = $1 AND pool = 'plan')::bigint AS plan_ledger,
           (SELECT COALESCE(SUM(credits), 0) FROM ledger_entries WHERE org_id = $1 AND pool = 'wallet')::bigint AS wallet_ledger
         FROM balances b WHERE b.org_id = $1`,
        [orgId],
      );
      const perGrant = await grantLedgerSums(reader as never, orgId);
      await reader.query('COMMIT');
      const r = rows[0];
      snapshots.push({ plan: r.plan, planLedger: r.plan_ledger, grants: r.grants, grantLedger: perGrant.total, wallet: r.wallet, walletLedger: r.wallet_ledger, mismatched: perGrant.mismatched });
    }
  })();
  try {
    await work();
  } finally {
    writing = false;
    await watching;
    await reader.end();
  }
  return snapshots;
}

/** More than one state seen, and in each the ledger sum of every pool and grant equals its balance. */
export function expectSnapshotsMatch(snapshots: PoolSnapshot[]): void {
  expect(snapshots.length).toBeGreaterThan(1);
  for (const s of snapshots) {
    expect(s.plan).toBe(s.planLedger);
    expect(s.wallet).toBe(s.walletLedger);
    expect(s.grants).toBe(s.grantLedger);
    expect(s.mismatched).toEqual([]);
  }
}

/** The ledger sum of each pool (each grant too) equals that pool's balance. */
export async function expectLedgerMatches(stack: Stack, orgId: string): Promise<BillingSummary> {
  return eventually(async () => {
    const s = await summary(stack, orgId);
    const sums = await ledgerSums(stack.db, orgId);
    expect(sums).toEqual({ plan: s.planCredits.remaining, wallet: s.topUpCredits });
    expect(await grantLedgerSums(stack.db, orgId)).toEqual({ total: s.grantCredits, mismatched: [] });
    return s;
  });
}

export async function eventsOf(stack: Stack, orgId: string): Promise<Array<{ id: string; type: string; message: string; data: any }>> {
  const body = await expectStatus(stack.http.get(`/v1/orgs/${orgId}/events?limit=500`, stack.token('ops')), 200);
  return body.events;
}

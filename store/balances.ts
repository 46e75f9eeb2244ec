// The balance row of an organization (balances): its pools, what a debit needs to know, and the
// pending threshold signal. Its pools change only with their ledger entries, in one transaction
// (record_usage in usage.ts, commitBilling.ts), so the ledger sum of each pool is its balance.
import type { Pool, PoolClient } from 'pg';
import { available, type Pools } from '../domain/pools';

export interface BalanceRow {
  pools: Pools;
  /** Plan credits the period put into the plan pool (domain/orgBilling.ts PoolsInPeriod); written by commits only. */
  planGranted: number;
  period: number;
  thresholdCredits: number;
  autoRechargeEnabled: boolean;
  subscriptionActive: boolean;
  lowNotified: boolean;
  eventSeq: number;
}

interface Row {
  plan_remaining: number;
  grant_credits: number;
  plan_granted: number;
  wallet: number;
  period: number;
  threshold_credits: number;
  auto_recharge_enabled: boolean;
  subscription_active: boolean;
  low_notified: boolean;
  event_seq: number;
}

const COLUMNS = 'plan_remaining, grant_credits, plan_granted, wallet, period, threshold_credits, auto_recharge_enabled, subscription_active, low_notified, event_seq';

const toBalance = (row: Row): BalanceRow => ({
  pools: { planRemaining: row.plan_remaining, grants: row.grant_credits, wallet: row.wallet },
  planGranted: row.plan_granted,
  period: row.period,
  thresholdCredits: row.threshold_credits,
  autoRechargeEnabled: row.auto_recharge_enabled,
  subscriptionActive: row.subscription_active,
  lowNotified: row.low_notified,
  eventSeq: row.event_seq,
});

/** An organization's balance row, empty, created with the organization (orgs.ts). */
export async function insertBalance(tx: PoolClient, orgId: string): Promise<void> {
  await tx.query('INSERT INTO balances (org_id) VALUES ($1)', [orgId]);
}

/**
 * The balance row, locked until the transaction ends. Every organization has one from its creation;
 * a missing one is an error (retried by the activity that asked).
 */
export async function lockBalance(tx: PoolClient, orgId: string): Promise<BalanceRow> {
  const { rows } = await tx.query<Row>(`SELECT ${COLUMNS} FROM balances WHERE org_id = $1 FOR UPDATE`, [orgId]);
  if (!rows[0]) throw new Error(`organization ${orgId} has no balance row`);
  return toBalance(rows[0]);
}

export async function readBalance(db: Pool | PoolClient, orgId: string): Promise<BalanceRow | undefined> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM balances WHERE org_id = $1`, [orgId]);
  return rows[0] && toBalance(rows[0]);
}

export async function writeBalance(tx: PoolClient, orgId: string, balance: BalanceRow): Promise<void> {
  await tx.query(
    `UPDATE balances SET plan_remaining = $2, wallet = $3, period = $4, threshold_credits = $5, auto_recharge_enabled = $6,
       subscription_active = $7, low_notified = $8, event_seq = $9, plan_granted = $10, grant_credits = $11, updated_at = now()
     WHERE org_id = $1`,
    [
      orgId,
      balance.pools.planRemaining,
      balance.pools.wallet,
      balance.period,
      balance.thresholdCredits,
      balance.autoRechargeEnabled,
      balance.subscriptionActive,
      balance.lowNotified,
      balance.eventSeq,
      balance.planGranted,
      balance.pools.grants ?? 0,
    ],
  );
}

/**
 * The balance after a change, with the crossing rule applied: note_balance_low (migration 7), the
 * function record_usage uses too, writes balance.low when available is below the threshold for the
 * first time since it was last at or above it. The caller holds the row's lock and writes the row.
 */
export async function withLowBalanceNoted(tx: PoolClient, orgId: string, balance: BalanceRow, at: string): Promise<BalanceRow> {
  const { rows } = await tx.query<{ low_notified: boolean; event_seq: number }>(
    'SELECT low_notified, event_seq FROM note_balance_low($1, $2, $3, $4, $5, $6)',
    [orgId, available(balance.pools), balance.thresholdCredits, balance.lowNotified, balance.eventSeq, at],
  );
  return { ...balance, lowNotified: rows[0].low_notified, eventSeq: rows[0].event_seq };
}

/** A threshold crossing the usage transaction marked for the organization's workflow (signal_pending). */
export interface PendingSignal {
  orgId: string;
  availableCredits: number;
  /** The crossing's generation: clearing it clears this crossing's flag and no later one's. */
  generation: number;
}

export async function pendingSignals(db: Pool): Promise<PendingSignal[]> {
  const { rows } = await db.query<{ org_id: string; available: number; signal_gen: number }>(
    'SELECT org_id, available_credits(balances) AS available, signal_gen FROM balances WHERE signal_pending',
  );
  return rows.map((row) => ({ orgId: row.org_id, availableCredits: row.available, generation: row.signal_gen }));
}

/** Only this crossing's flag: a later one, whose signal may have failed, stays pending. */
export async function clearPendingSignal(db: Pool, orgId: string, generation: number): Promise<void> {
  await db.query('UPDATE balances SET signal_pending = false WHERE org_id = $1 AND signal_pending AND signal_gen = $2', [orgId, generation]);
}

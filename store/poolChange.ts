// A change of an organization's pools made outside the usage transaction and the workflow's
// commits: a grant given, voided or expired (grants.ts), a usage event voided (usageEvents.ts).
// The caller holds the balance row's lock and has written the change's ledger entries.
import type { PoolClient } from 'pg';
import type { NewEvent } from '../domain/orgBilling';
import { available, type Pools } from '../domain/pools';
import { withLowBalanceNoted, writeBalance, type BalanceRow } from './balances';
import { appendEvents } from './events';

/** A crossing a pool change made: the workflow must hear of it (its generation, as pendingSignals gives it). */
export interface PoolCrossing {
  orgId: string;
  availableCredits: number;
  generation: number;
}

/**
 * The balance with its new pools, the change's events and the crossing rule (a change that brings
 * available back to the threshold re-arms it, as any credit does); a crossing with auto-recharge on
 * is marked for the workflow under a new generation, as record_usage marks one.
 */
export async function commitPoolChange(tx: PoolClient, orgId: string, balance: BalanceRow, pools: Pools, events: NewEvent[], at: string): Promise<PoolCrossing | null> {
  const eventSeq = await appendEvents(tx, orgId, balance.eventSeq, events);
  const next = await withLowBalanceNoted(tx, orgId, { ...balance, pools, eventSeq }, at);
  await writeBalance(tx, orgId, next);
  if (!next.lowNotified || balance.lowNotified || !next.autoRechargeEnabled) return null;
  const { rows } = await tx.query<{ signal_gen: number }>(
    'UPDATE balances SET signal_pending = true, signal_gen = signal_gen + 1 WHERE org_id = $1 RETURNING signal_gen',
    [orgId],
  );
  return { orgId, availableCredits: available(pools), generation: rows[0].signal_gen };
}

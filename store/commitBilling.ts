// The workflow's commit: its record, the pool changes it decided and its events, in one transaction,
// applied at most once (the record's version only grows).
import type { Pool, PoolClient } from 'pg';
import { applyLedgerChange, type BalanceSettings, type LedgerChange, type LedgerEntry, type NewEvent, type OrgBillingRecord, type SubAccountCredit } from '../domain/orgBilling';
import { available, type Pools } from '../domain/pools';
import type { TopUp } from '../domain/payments';
import { lockBalance, lowBalanceNotice, writeBalance, type BalanceRow } from './balances';
import { appendEvents } from './events';
import { inTransaction } from './transaction';
import { upsertTopUps } from './topUps';

export interface BillingCommit {
  orgId: string;
  /** Grows with every commit of the workflow chain; a commit at or below the stored version was applied already. */
  version: number;
  record: OrgBillingRecord;
  settings: BalanceSettings;
  ledger: LedgerChange[];
  events: NewEvent[];
  topUps: TopUp[];
  at: string;
}

export interface CommittedBalance {
  pools: Pools;
  availableCredits: number;
  /** The organization's agency, for its workflow's search attributes. */
  agencyId: string | null;
}

/** Inserts the entry unless its (kind, pool, ref) exists; the pools move only with an inserted entry. */
async function insertLedgerEntry(tx: PoolClient, orgId: string, entry: LedgerEntry, at: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO ledger_entries (org_id, at, kind, pool, credits, ref) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (org_id, kind, pool, ref) DO NOTHING`,
    [orgId, at, entry.kind, entry.pool, entry.credits, entry.ref],
  );
  return rowCount === 1;
}

async function committed(tx: PoolClient, orgId: string, balance: BalanceRow): Promise<CommittedBalance> {
  const { rows } = await tx.query<{ parent_id: string | null }>('SELECT parent_id FROM orgs WHERE id = $1', [orgId]);
  return { pools: balance.pools, availableCredits: available(balance.pools), agencyId: rows[0]?.parent_id ?? null };
}

export async function commitBilling(db: Pool, input: BillingCommit): Promise<CommittedBalance> {
  const { orgId, record, at } = input;
  return inTransaction(db, async (tx) => {
    const balance = await lockBalance(tx, orgId);
    const claimed = await tx.query(
      `UPDATE org_billing SET version = $2, subscription = $3, payment_method_id = $4, auto_recharge = $5, counters = $6,
         pending_payment = $7, updated_at = now()
       WHERE org_id = $1 AND version < $2`,
      [orgId, input.version, JSON.stringify(record.subscription), record.paymentMethodId, JSON.stringify(record.autoRecharge), JSON.stringify(record.counters), JSON.stringify(record.pendingPayment)],
    );
    if (claimed.rowCount === 0) return committed(tx, orgId, balance); // a retry of a commit that already applied

    let { pools, period } = balance;
    for (const change of input.ledger) {
      const applied = applyLedgerChange(pools, change);
      if (applied.entry === null || (await insertLedgerEntry(tx, orgId, applied.entry, at))) pools = applied.pools;
      if (change.type === 'startPeriod') period++;
    }
    const next: BalanceRow = { ...balance, ...input.settings, pools, period };
    const low = lowBalanceNotice(next, at);
    next.lowNotified = low.lowNotified;
    next.eventSeq = await appendEvents(tx, orgId, balance.eventSeq, low.event ? [...input.events, low.event] : input.events);
    await writeBalance(tx, orgId, next);
    await upsertTopUps(tx, orgId, input.topUps);
    return committed(tx, orgId, next);
  });
}


/**
 * An agency's allocation, on the sub-account's side: the credits and their event, once per payment
 * (the ledger ref and the event key are the payment id). A failure writes only its event.
 */
export async function creditSubAccount(db: Pool, credit: SubAccountCredit): Promise<void> {
  const { subAccountId, paymentId, at } = credit;
  await inTransaction(db, async (tx) => {
    const balance = await lockBalance(tx, subAccountId);
    const data = { paymentId, agencyId: credit.agencyId, ...(credit.outcome === 'succeeded' ? { credits: credit.credits } : {}) };
    const events: NewEvent[] = [];
    let next = balance;
    if (credit.outcome === 'succeeded') {
      const applied = applyLedgerChange(balance.pools, { type: 'credit', kind: 'allocation', credits: credit.credits, ref: paymentId });
      if (!(await insertLedgerEntry(tx, subAccountId, applied.entry!, at))) return; // credited before
      next = { ...balance, pools: applied.pools };
      events.push({ type: 'allocation.succeeded', at, message: credit.message, data, key: `allocation:${paymentId}` });
      next.lowNotified = lowBalanceNotice(next, at).lowNotified;
    } else {
      events.push({ type: 'allocation.failed', at, message: credit.message, data, key: `allocation:${paymentId}` });
    }
    next.eventSeq = await appendEvents(tx, subAccountId, balance.eventSeq, events);
    await writeBalance(tx, subAccountId, next);
  });
}

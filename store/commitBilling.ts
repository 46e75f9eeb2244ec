// The workflow's commit: its record, the pool changes it decided and its events, in one transaction
// under the balance row's lock, applied at most once (the record's version only grows). A module of its own, named for the
// operation: one commit writes balances, org_billing, ledger_entries, events and top_ups, each
// through the module of its table; an agency's credit to a sub-account is the same kind of write.
import type { Pool, PoolClient } from 'pg';
import { applyLedgerChange, type BalanceSettings, type LedgerEntry, type LedgerChange, type NewEvent, type OrgBillingRecord, type SubAccountCredit } from '../domain/orgBilling';
import { available, type Pools } from '../domain/pools';
import type { TopUp } from '../domain/payments';
import type { AppliedPaymentChange, PaymentChange, PaymentUpdate } from '../domain/paymentRecords';
import { lockBalance, withLowBalanceNoted, writeBalance, type BalanceRow } from './balances';
import { appendEvents } from './events';
import { insertLedgerEntry } from './ledger';
import { claimOrgBilling } from './orgBilling';
import { findOrg } from './orgs';
import { appliedInCommit, applyPaymentChanges, upsertPayments, type WalletMove } from './payments';
import { insertPaidGrant, takeFromPaidGrant } from './grants';
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
  /** The payments this commit started or settled (absent from commits of older workflow code). */
  payments?: PaymentUpdate[];
  /** Refunds and dispute changes to apply, each once. */
  paymentChanges?: PaymentChange[];
  at: string;
}

export interface CommittedBalance {
  pools: Pools;
  availableCredits: number;
  /** The organization's agency, for its workflow's search attributes. */
  agencyId: string | null;
  /** The payment changes this commit applied (a retry answers those of the commit it repeats). */
  applied: AppliedPaymentChange[];
}

async function committed(tx: PoolClient, orgId: string, balance: BalanceRow, applied: AppliedPaymentChange[]): Promise<CommittedBalance> {
  const org = await findOrg(tx, orgId);
  return { pools: balance.pools, availableCredits: available(balance.pools), agencyId: org?.parentId ?? null, applied };
}

export async function commitBilling(db: Pool, input: BillingCommit): Promise<CommittedBalance> {
  const { orgId, record, at } = input;
  return inTransaction(db, async (tx) => {
    const balance = await lockBalance(tx, orgId);
    if (!(await claimOrgBilling(tx, orgId, input.version, record))) return committed(tx, orgId, balance, await appliedInCommit(tx, orgId, input.version)); // a retry of a commit that already applied

    let { pools, planGranted, period } = balance;
    for (const change of input.ledger) {
      const applied = applyLedgerChange({ pools, planGranted }, change);
      if (applied.entry === null || (await insertLedgerEntry(tx, orgId, applied.entry, at))) {
        ({ pools, planGranted } = applied);
        if (change.type === 'credit' && change.expiresAt !== undefined) await insertPaidGrant(tx, orgId, { ...change, expiresAt: change.expiresAt }, at);
      }
      if (change.type === 'startPeriod') period++;
    }
    await upsertPayments(tx, orgId, input.payments ?? []);
    // Refunds and disputes take credits back from where they went: this organization, or an allocation's sub-account.
    const move = async (m: WalletMove) => {
      if (m.orgId !== orgId) return moveOtherWallet(tx, m, at);
      pools = await movePaymentCredits(tx, orgId, pools, m, at);
    };
    const applied = await applyPaymentChanges(tx, orgId, input.version, input.paymentChanges ?? [], at, move);
    const eventSeq = await appendEvents(tx, orgId, balance.eventSeq, input.events);
    const next = await withLowBalanceNoted(tx, orgId, { ...balance, ...input.settings, pools, planGranted, period, eventSeq }, at);
    await writeBalance(tx, orgId, next);
    await upsertTopUps(tx, orgId, input.topUps);
    return committed(tx, orgId, next, applied);
  });
}

/**
 * A refund or dispute takes the payment's credits back: from its paid grant first (what remains of
 * it, when purchased credits expire), then the wallet, which may go negative; a dispute reversal
 * gives them back to the wallet (the grant may have expired meanwhile).
 */
async function movePaymentCredits(tx: PoolClient, orgId: string, pools: Pools, m: WalletMove, at: string): Promise<Pools> {
  let rest = m.credits;
  if (rest < 0 && m.kind !== 'dispute_reversal') {
    const taken = await takeFromPaidGrant(tx, orgId, m.paymentId, -rest, { kind: m.kind, ref: m.ref }, at);
    pools = { ...pools, grants: (pools.grants ?? 0) - taken };
    rest += taken;
  }
  const entry: LedgerEntry = { kind: m.kind, pool: 'wallet', credits: rest, ref: m.ref };
  if (rest !== 0 && (await insertLedgerEntry(tx, orgId, entry, at))) pools = { ...pools, wallet: pools.wallet + rest };
  return pools;
}

/**
 * A refund or dispute of an agency's allocation, on the sub-account's side, inside the agency's
 * commit (agency first, then sub-account: nothing locks them in the other order).
 */
async function moveOtherWallet(tx: PoolClient, m: WalletMove, at: string): Promise<void> {
  const balance = await lockBalance(tx, m.orgId);
  const pools = await movePaymentCredits(tx, m.orgId, balance.pools, m, at);
  await writeBalance(tx, m.orgId, await withLowBalanceNoted(tx, m.orgId, { ...balance, pools }, at));
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
    let pools = balance.pools;
    if (credit.outcome === 'succeeded') {
      const change = { type: 'credit', kind: 'allocation', credits: credit.credits, ref: paymentId, ...(credit.expiresAt ? { expiresAt: credit.expiresAt } : {}) } as const;
      const applied = applyLedgerChange(balance, change);
      if (!(await insertLedgerEntry(tx, subAccountId, applied.entry!, at))) return; // credited before
      if (credit.expiresAt) await insertPaidGrant(tx, subAccountId, { ...change, expiresAt: credit.expiresAt }, at);
      pools = applied.pools;
    }
    const event: NewEvent = { type: `allocation.${credit.outcome}`, at, message: credit.message, data, key: `allocation:${paymentId}` };
    const eventSeq = await appendEvents(tx, subAccountId, balance.eventSeq, [event]);
    await writeBalance(tx, subAccountId, await withLowBalanceNoted(tx, subAccountId, { ...balance, pools, eventSeq }, at));
  });
}

// What an organization's workflow owns and commits to PostgreSQL (org_billing) with every change,
// and the balance changes it asks for. The pools themselves live in PostgreSQL.
import { DEFAULT_AUTO_RECHARGE, INITIAL_COUNTERS, type AutoRechargeCounters, type AutoRechargeSettings } from './autoRecharge';
import type { Pools } from './pools';
import type { LedgerKind, Pool } from './ledger';
import type { PendingPayment } from './payments';
import type { Subscription } from './subscription';

export interface OrgBillingRecord {
  subscription: Subscription | null;
  paymentMethodId: string | null;
  autoRecharge: AutoRechargeSettings;
  counters: AutoRechargeCounters;
  pendingPayment: PendingPayment | null;
}

export function initialOrgBilling(): OrgBillingRecord {
  return { subscription: null, paymentMethodId: null, autoRecharge: { ...DEFAULT_AUTO_RECHARGE }, counters: { ...INITIAL_COUNTERS }, pendingPayment: null };
}

/** What a usage debit needs to know of the workflow's settings (kept on the balance row). */
export interface BalanceSettings {
  thresholdCredits: number;
  autoRechargeEnabled: boolean;
  subscriptionActive: boolean;
}

export function balanceSettingsOf(record: OrgBillingRecord): BalanceSettings {
  return {
    thresholdCredits: record.autoRecharge.thresholdCredits,
    autoRechargeEnabled: record.autoRecharge.enabled,
    subscriptionActive: record.subscription?.status === 'active',
  };
}

/** A pool change the workflow decides; PostgreSQL applies it to the balance as it is at commit. */
export type LedgerChange =
  /** Purchased credits: to the wallet, or with `expiresAt` to a paid grant of their own (paidGrantId of the ref). */
  | { type: 'credit'; kind: 'top_up' | 'auto_recharge' | 'allocation'; credits: number; ref: string; expiresAt?: string }
  /** A new period: plan credits reset to the allowance (not carried over). */
  | { type: 'startPeriod'; planCredits: number; ref: string }
  /** The plan changed within a period: the new allowance less what this period already used, never below zero. */
  | { type: 'adjustPlan'; planCredits: number; ref: string };

export interface LedgerEntry {
  kind: LedgerKind;
  pool: Pool;
  credits: number;
  ref: string;
  /** The grant a 'grant' pool entry moves. */
  grantId?: string;
}

/**
 * The pools, and the plan credits the period has put into the plan pool (`planGranted`). Only usage
 * moves the plan pool otherwise, taking from it what it spends: so the plan credits used this
 * period are `planGranted − planRemaining`, whatever the plan was changed to meanwhile.
 */
export interface PoolsInPeriod {
  pools: Pools;
  planGranted: number;
}

/** Plan credits left under an allowance when `used` were spent this period: lowering and raising the plan never gives them back. */
export const planRemainingFor = (allowance: number, used: number): number => Math.max(0, allowance - used);

/** The paid grant a payment's credits become when purchased credits expire (PURCHASED_CREDITS_EXPIRE_AFTER_DAYS). */
export const paidGrantId = (paymentId: string) => `grant_${paymentId}`;

/** The ledger entry a change writes on these pools (none when nothing moves), and the pools after it. */
export function applyLedgerChange(current: PoolsInPeriod, change: LedgerChange): PoolsInPeriod & { entry: LedgerEntry | null } {
  const { pools } = current;
  switch (change.type) {
    case 'credit':
      if (change.expiresAt !== undefined) {
        return {
          entry: { kind: change.kind, pool: 'grant', credits: change.credits, ref: change.ref, grantId: paidGrantId(change.ref) },
          pools: { ...pools, grants: (pools.grants ?? 0) + change.credits },
          planGranted: current.planGranted,
        };
      }
      return {
        entry: { kind: change.kind, pool: 'wallet', credits: change.credits, ref: change.ref },
        pools: { ...pools, wallet: pools.wallet + change.credits },
        planGranted: current.planGranted,
      };
    case 'startPeriod':
      return planSetTo(current, change.planCredits, 0, 'plan_renewal', change.ref);
    case 'adjustPlan':
      return planSetTo(current, change.planCredits, Math.max(0, current.planGranted - pools.planRemaining), 'adjustment', change.ref);
  }
}

function planSetTo({ pools }: PoolsInPeriod, allowance: number, used: number, kind: LedgerKind, ref: string): PoolsInPeriod & { entry: LedgerEntry | null } {
  const planRemaining = planRemainingFor(allowance, used);
  const delta = planRemaining - pools.planRemaining;
  return { entry: delta === 0 ? null : { kind, pool: 'plan', credits: delta, ref }, pools: { ...pools, planRemaining }, planGranted: planRemaining + used };
}

/** An event as the workflow emits it; PostgreSQL numbers it. */
export interface NewEvent {
  type: string;
  at: string;
  message: string;
  data: Record<string, unknown>;
  /** Makes the event idempotent where no commit version guards it (written for another organization). */
  key?: string;
}

/** A sub-account credit: an agency's allocation outcome, written on the sub-account's side (its credits and event, once per payment). */
export interface SubAccountCredit {
  subAccountId: string;
  agencyId: string;
  paymentId: string;
  credits: number;
  outcome: 'succeeded' | 'failed';
  message: string;
  at: string;
  /** The credits become a paid grant expiring then (PURCHASED_CREDITS_EXPIRE_AFTER_DAYS). */
  expiresAt?: string;
}

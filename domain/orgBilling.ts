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
  | { type: 'credit'; kind: 'top_up' | 'auto_recharge' | 'allocation'; credits: number; ref: string }
  /** A new period: plan credits reset to the allowance (not carried over). */
  | { type: 'startPeriod'; planCredits: number; ref: string }
  /** The plan changed within a period: the remainder moves by the difference, never below zero. */
  | { type: 'adjustPlan'; previousPlanCredits: number; planCredits: number; ref: string };

export interface LedgerEntry {
  kind: LedgerKind;
  pool: Pool;
  credits: number;
  ref: string;
}

/** The ledger entry a change writes on these pools (none when nothing moves), and the pools after it. */
export function applyLedgerChange(pools: Pools, change: LedgerChange): { entry: LedgerEntry | null; pools: Pools } {
  switch (change.type) {
    case 'credit':
      return {
        entry: { kind: change.kind, pool: 'wallet', credits: change.credits, ref: change.ref },
        pools: { ...pools, wallet: pools.wallet + change.credits },
      };
    case 'startPeriod':
      return planSetTo(pools, change.planCredits, 'plan_renewal', change.ref);
    case 'adjustPlan':
      return planSetTo(pools, Math.max(0, pools.planRemaining + change.planCredits - change.previousPlanCredits), 'adjustment', change.ref);
  }
}

function planSetTo(pools: Pools, planRemaining: number, kind: LedgerKind, ref: string): { entry: LedgerEntry | null; pools: Pools } {
  const delta = planRemaining - pools.planRemaining;
  return { entry: delta === 0 ? null : { kind, pool: 'plan', credits: delta, ref }, pools: { ...pools, planRemaining } };
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
}

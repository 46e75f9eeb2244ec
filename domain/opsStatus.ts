// How an organization stands, for operators: the values of its search attributes in the Temporal
// UI and of the ops listing, and the few lines of its workflow's current details.
import { capReached, DISABLED_AFTER_DISPUTE_MESSAGE, rechargeMode } from './autoRecharge';
import type { OrgBillingRecord } from './orgBilling';

export type AutoRechargeState = 'off' | 'on' | 'capped' | 'backoff' | 'disabled_after_failures' | 'disabled_after_dispute';
export type PaymentStatus = 'none' | 'processing' | 'requires_action';

export const AUTO_RECHARGE_STATES: readonly AutoRechargeState[] = ['off', 'on', 'capped', 'backoff', 'disabled_after_failures', 'disabled_after_dispute'];
export const PAYMENT_STATUSES: readonly PaymentStatus[] = ['none', 'processing', 'requires_action'];

export function autoRechargeState({ autoRecharge, counters }: Pick<OrgBillingRecord, 'autoRecharge' | 'counters'>, now: number): AutoRechargeState {
  if (!autoRecharge.enabled) {
    if (counters.disabledReason === DISABLED_AFTER_DISPUTE_MESSAGE) return 'disabled_after_dispute';
    return counters.disabledReason ? 'disabled_after_failures' : 'off';
  }
  if (capReached(autoRecharge, counters)) return 'capped';
  if (counters.nextAttemptAt !== null && now < counters.nextAttemptAt) return 'backoff';
  return 'on';
}

export function paymentStatus({ pendingPayment }: Pick<OrgBillingRecord, 'pendingPayment'>): PaymentStatus {
  return pendingPayment ? pendingPayment.status : 'none';
}

/** Markdown an operator reads at a glance in the Temporal UI. */
export function currentDetails(record: OrgBillingRecord, availableCredits: number | null, now: number): string {
  const { autoRecharge, counters, pendingPayment, subscription } = record;
  const state = autoRechargeState(record, now);
  return [
    `**Available credits** (at the last decision): ${availableCredits ?? 'not read yet'}`,
    `**Auto-recharge**: ${state}, ${counters.rechargesUsedThisMonth}/${autoRecharge.maxRechargesPerMonth} recharges used this month` +
      (autoRecharge.enabled ? ` (below ${autoRecharge.thresholdCredits}, ${rechargeMode(autoRecharge) === 'to_target' ? `up to ${autoRecharge.targetCredits}` : `+${autoRecharge.rechargeCredits}`})` : ''),
    `**Last recharge**: ${counters.lastRechargedAt ?? 'none'}`,
    `**Pending payment**: ${pendingPayment ? `${pendingPayment.kind} ${pendingPayment.id}, ${pendingPayment.credits} credits, ${pendingPayment.status}` : 'none'}`,
    `**Next renewal**: ${subscription ? `${subscription.currentPeriodEnd} (${subscription.status}, ${subscription.planCredits} plan credits)` : 'no subscription'}`,
  ].join('\n');
}

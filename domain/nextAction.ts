// What an organization's workflow does next, in order of precedence, or until when it sleeps.
// The loop acts on it and the wait re-evaluates it, so both follow the same one list.
import type { RechargeDecision } from './autoRecharge';

export type DueAction =
  | { type: 'renew' }
  | { type: 'creditSubAccounts' }
  | { type: 'checkPayment' }
  | { type: 'checkBalance' }
  | { type: 'runAllocation'; subAccountId: string }
  | { type: 'continueAsNew' }
  | { type: 'wait'; until: number | null };

export interface Situation {
  now: number;
  /** The end of the current billing period, when plan credits renew. */
  periodEnd: number | null;
  /** Sub-account credits (allocation outcomes) wait to be written on their sub-accounts. */
  subAccountCreditsDue: boolean;
  /** The payment in flight, while it waits for the provider (3-D Secure, processing). */
  waitingPayment: { checkAfter: number; expiresAt: number; updated: boolean; cancelTried?: boolean } | null;
  paymentInFlight: boolean;
  /** The balance may have changed since the last decision (a signal, a settlement, a save, a renewal). */
  balanceCheckDue: boolean;
  /** The recharge rule for a balance below any threshold: whether a charge could start now, or when. */
  rechargeReadiness: RechargeDecision;
  allocationsDue: Array<{ subAccountId: string; nextRunAt: number }>;
  continueAsNewSuggested: boolean;
}

export function nextAction(s: Situation): DueAction {
  if (s.periodEnd !== null && s.now >= s.periodEnd) return { type: 'renew' };
  if (s.subAccountCreditsDue) return { type: 'creditSubAccounts' };
  const payment = s.waitingPayment;
  // Expiry is due once: after the cancel was tried (a provider may refuse to cancel a payment
  // still processing) the next check is the reconciliation's.
  const expiryDue = payment !== null && !payment.cancelTried;
  if (payment && (payment.updated || s.now >= payment.checkAfter || (expiryDue && s.now >= payment.expiresAt))) return { type: 'checkPayment' };
  if (s.balanceCheckDue && s.rechargeReadiness.action === 'charge') return { type: 'checkBalance' };
  // An allocation waits for the payment in flight; its date counts again once that settles.
  const allocation = s.paymentInFlight ? undefined : [...s.allocationsDue].sort((a, b) => a.nextRunAt - b.nextRunAt || (a.subAccountId < b.subAccountId ? -1 : 1))[0];
  if (allocation && s.now >= allocation.nextRunAt) return { type: 'runAllocation', subAccountId: allocation.subAccountId };
  if (s.continueAsNewSuggested) return { type: 'continueAsNew' };
  const deadlines = [
    s.periodEnd,
    payment?.checkAfter ?? null,
    expiryDue ? payment!.expiresAt : null,
    s.balanceCheckDue && s.rechargeReadiness.action === 'wait_until' ? s.rechargeReadiness.at : null,
    allocation?.nextRunAt ?? null,
  ].filter((d): d is number => d !== null);
  return { type: 'wait', until: deadlines.length ? Math.min(...deadlines) : null };
}

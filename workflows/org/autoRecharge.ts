// Auto-recharge: the balance is read and the rule (domain/autoRecharge.ts) decides, from what this
// run holds, whether to charge now, later, or not at all. What a settled recharge does is in
// payments.ts; what the owner is told about the monthly cap, in capNotices.ts.
import * as wf from '@temporalio/workflow';
import { rechargeCreditsFor, rechargeDecision, type RechargeDecision } from '../../domain/autoRecharge';
import { noteCapForecast } from './capNotices';
import type { Org } from './context';
import { beginPayment, chargeAndSettle, nextPaymentId } from './payments';
import { liveRechargeSettings } from './rechargeMode';

function rechargeContext(org: Org, availableCredits: number) {
  const { state } = org;
  return {
    settings: state.autoRecharge,
    counters: state.counters,
    availableCredits,
    paymentInFlight: state.pendingPayment !== null,
    hasPaymentMethod: state.paymentMethodId !== null,
    subscriptionActive: state.subscription?.status === 'active',
    now: Date.now(),
  };
}

/** The rule for a balance below any threshold: whether a charge could start now, or when. */
export const rechargeReadiness = (org: Org): RechargeDecision => rechargeDecision(rechargeContext(org, Number.NEGATIVE_INFINITY));

/** Reads the balance and charges when the rule says so, what the mode buys at the balance just read. */
export async function checkBalance(org: Org): Promise<void> {
  org.balanceCheckDue = false;
  const availableCredits = await org.activities.readAvailableCredits(org.state.orgId);
  org.lastAvailableCredits = availableCredits;
  if (rechargeDecision(rechargeContext(org, availableCredits)).action !== 'charge') return;
  const rechargesBefore = org.state.counters.rechargesUsedThisMonth;
  const credits = rechargeCreditsFor(liveRechargeSettings(org.state.autoRecharge), availableCredits, org.rules.minTopUpCredits);
  const payment = beginPayment(org, 'auto_recharge', credits, nextPaymentId(org));
  await chargeAndSettle(org, payment);
  if (org.state.counters.rechargesUsedThisMonth > rechargesBefore && wf.patched('cap-forecast')) await noteCapForecast(org);
}

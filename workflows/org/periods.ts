// Billing periods: the subscription sets them; plan credits reset at each period end.
import { afterRenewal } from '../../domain/autoRecharge';
import { nextPeriodEndAfter } from '../../domain/period';
import * as wf from '@temporalio/workflow';
import { planAllowance, subscriptionRefusal, type Subscription } from '../../domain/subscription';
import { changeLedger, commit, emit, refuse, uniqueRef, type Org } from './context';

export function periodEnd(org: Org): number | null {
  return org.state.subscription ? Date.parse(org.state.subscription.currentPeriodEnd) : null;
}

/** Plan credits reset (not carried over); monthly counters start again. Returns the new allowance. */
function startPeriod(org: Org): number {
  const planCredits = planAllowance(org.state.subscription);
  changeLedger(org, { type: 'startPeriod', planCredits, ref: uniqueRef(org, 'renewal') });
  org.state.counters = afterRenewal(org.state.counters);
  org.balanceCheckDue = true;
  return planCredits;
}

/** The period ended: the next one ends on the anchor's day of a later month. */
export async function renew(org: Org): Promise<void> {
  const { state } = org;
  const subscription = state.subscription!;
  const currentPeriodEnd = new Date(nextPeriodEndAfter(Date.parse(state.periodAnchor ?? subscription.currentPeriodEnd), Date.now())).toISOString();
  state.subscription = { ...subscription, currentPeriodEnd };
  const planCredits = startPeriod(org);
  emit(org, 'plan.renewed', `Plan credits renewed: ${planCredits} credits until ${currentPeriodEnd}.`, { planCredits, currentPeriodEnd });
  await commit(org);
}

/** The update's validator: a figure the ledger cannot hold would make every commit fail, so it is never taken in. */
export function validateSubscription(update: Subscription): void {
  const refusal = subscriptionRefusal(update);
  if (refusal) refuse('invalid_subscription', `The subscription is not valid: ${refusal}.`);
}

/**
 * The billing system sets the subscription: a new period end starts a new period; the same period
 * with another allowance (other plan credits, or a status that gives none) gives the new allowance
 * less what the period used (at commit time). An inactive subscription's allowance is none, as at
 * renewal, so a plan change while past due never hands out plan credits.
 */
export async function setSubscription(org: Org, update: Subscription): Promise<void> {
  const { state } = org;
  const previous = state.subscription;
  // One instant has many ISO spellings: compare and store it normalized.
  const subscription = { ...update, currentPeriodEnd: new Date(Date.parse(update.currentPeriodEnd)).toISOString() };
  state.subscription = subscription;
  if (!previous || Date.parse(previous.currentPeriodEnd) !== Date.parse(subscription.currentPeriodEnd)) {
    state.periodAnchor = subscription.currentPeriodEnd;
    startPeriod(org);
  } else if (wf.patched('plan-allowance-follows-status')) {
    const allowance = planAllowance(subscription);
    if (planAllowance(previous) !== allowance) changeLedger(org, { type: 'adjustPlan', planCredits: allowance, ref: uniqueRef(org, 'plan-change') });
  } else if (previous.planCredits !== subscription.planCredits) {
    changeLedger(org, { type: 'adjustPlan', planCredits: subscription.planCredits, ref: uniqueRef(org, 'plan-change') });
  }
  org.balanceCheckDue = true;
  emit(org, 'subscription.updated', `Subscription is ${subscription.status} with ${subscription.planCredits} plan credits.`, { ...subscription });
  await commit(org);
}

// One long-running workflow per organization owns its billing decisions: auto-recharge, the one
// payment in flight, the subscription's periods and agency allocations. Usage is recorded by the
// API in PostgreSQL; a debit that crosses the threshold signals this workflow, which reads the
// balance itself whenever it decides.
import * as wf from '@temporalio/workflow';
import type { AllocationRequest } from '../domain/allocation';
import type { AutoRechargeSettings } from '../domain/autoRecharge';
import type { BillingRules } from '../domain/billingRules';
import { nextAction, type DueAction, type Situation } from '../domain/nextAction';
import { initialOrgBilling } from '../domain/orgBilling';
import {
  applyPaymentChangesUpdate,
  balanceLowSignal,
  refundPaymentUpdate,
  allocationCardsQuery,
  configureAllocationUpdate,
  configureAutoRechargeUpdate,
  paymentIntentUpdatedSignal,
  setPaymentMethodUpdate,
  setSubscriptionUpdate,
  topUpUpdate,
  type TopUpRequest,
} from './messages';
import { allocationCards, allocationsDue, configureAllocation, runAllocation, validateAllocation } from './org/allocations';
import { checkBalance, rechargeReadiness } from './org/autoRecharge';
import { initialOrgWorkflowState, type OrgWorkflowState } from './org/carriedState';
import { newOrg, showStatus, type Org } from './org/context';
import { checkPendingPayment, resumeSeededPayment, waitingPayment } from './org/payments';
import { periodEnd, renew, setSubscription, validateSubscription } from './org/periods';
import { applyPaymentChanges, refundPayment } from './org/refunds';
import { configureAutoRecharge, setPaymentMethod, validateAutoRecharge } from './org/settings';
import { creditSubAccounts } from './org/subAccountCredits';
import { topUp, validateTopUp } from './org/topUps';

export interface OrgBillingInput {
  orgId: string;
  rules: BillingRules;
  /** Carried across continue-as-new. */
  state?: OrgWorkflowState;
}

function situation(org: Org): Situation {
  const { state, rules } = org;
  const info = wf.workflowInfo();
  return {
    now: Date.now(),
    periodEnd: periodEnd(org),
    subAccountCreditsDue: state.subAccountCredits.length > 0,
    waitingPayment: waitingPayment(org),
    paymentInFlight: state.pendingPayment !== null,
    balanceCheckDue: org.balanceCheckDue,
    rechargeReadiness: rechargeReadiness(org),
    allocationsDue: allocationsDue(org),
    continueAsNewSuggested: info.continueAsNewSuggested || info.historyLength >= rules.continueAsNewAfterEvents || info.historySize >= rules.continueAsNewAfterBytes,
  };
}

const sameAction = (a: DueAction, b: DueAction) => a.type === b.type && (a.type !== 'wait' || b.type !== 'wait' || a.until === b.until);

export async function orgBillingWorkflow(input: OrgBillingInput): Promise<void> {
  const { orgId, rules } = input;
  // Payment ids are the provider's idempotency keys, so they must differ across organizations. Run
  // ids are UUIDv7: their first 12 hex digits are only the start's millisecond, which two
  // organizations started together shared (the second's charge answered the first's intent).
  const runId = wf.workflowInfo().firstExecutionRunId.replace(/-/g, '');
  const state = input.state ?? initialOrgWorkflowState(orgId, wf.patched('unique-payment-ids') ? runId : runId.slice(0, 12), initialOrgBilling());
  const org = newOrg(state, rules);
  // Commands wait until the run has read what PostgreSQL holds (below); signals only note things.
  // That includes commands delivered with the run's start, whose handlers are called as they are
  // set. A validator that runs before then has nothing to judge by (no card, no subscription yet):
  // it lets the command in, and the command is validated once the run has read it.
  const seedsFirst = !input.state && wf.patched('commands-wait-for-seed');
  let seeded = !seedsFirst;
  const whenSeeded =
    <Args extends unknown[], T>(handle: (...args: Args) => T, validate?: (...args: Args) => void) =>
    async (...args: Args): Promise<Awaited<T>> => {
      if (!seeded) {
        await wf.condition(() => seeded);
        // Runs recorded before commands-wait-for-seed validated at acceptance only: they replay so.
        if (seedsFirst) validate?.(...args);
      }
      return await handle(...args);
    };
  const onceSeeded =
    <Args extends unknown[]>(validate: (...args: Args) => void) =>
    (...args: Args): void => {
      if (seeded || !seedsFirst) validate(...args);
    };
  const checkAutoRecharge = (settings: AutoRechargeSettings) => validateAutoRecharge(org, settings);
  const checkTopUp = ({ idempotencyKey }: TopUpRequest) => validateTopUp(org, idempotencyKey);
  const checkAllocation = (_subAccountId: string, minutes: AllocationRequest) => validateAllocation(org, minutes);

  wf.setHandler(balanceLowSignal, () => {
    org.balanceCheckDue = true;
  });
  wf.setHandler(paymentIntentUpdatedSignal, (paymentIntentId) => {
    org.intentUpdates.add(paymentIntentId);
  });
  wf.setHandler(setSubscriptionUpdate, whenSeeded((subscription) => setSubscription(org, subscription)), { validator: validateSubscription });
  wf.setHandler(setPaymentMethodUpdate, whenSeeded((paymentMethodId) => setPaymentMethod(org, paymentMethodId)));
  wf.setHandler(configureAutoRechargeUpdate, whenSeeded((settings) => configureAutoRecharge(org, settings), checkAutoRecharge), { validator: onceSeeded(checkAutoRecharge) });
  wf.setHandler(topUpUpdate, whenSeeded(({ idempotencyKey, credits }) => topUp(org, idempotencyKey, credits), checkTopUp), { validator: onceSeeded(checkTopUp) });
  wf.setHandler(allocationCardsQuery, () => allocationCards(org));
  wf.setHandler(configureAllocationUpdate, whenSeeded((subAccountId, minutes) => configureAllocation(org, subAccountId, minutes), checkAllocation), {
    validator: onceSeeded(checkAllocation),
  });
  wf.setHandler(refundPaymentUpdate, whenSeeded((request) => refundPayment(org, request)));
  wf.setHandler(applyPaymentChangesUpdate, whenSeeded((changes) => applyPaymentChanges(org, changes)));

  // A run with no carried state continues what PostgreSQL holds, if anything: an earlier run may
  // have been terminated or reset, and its commit versions and ledger refs must not be reused.
  if (!input.state && wf.patched('seed-from-postgres')) {
    seeded = false;
    const stored = await org.activities.loadStoredBilling(orgId);
    if (stored) {
      Object.assign(state, stored.record);
      state.periodAnchor = stored.record.subscription?.currentPeriodEnd ?? null;
      state.seq.commit = stored.version;
      state.seq.ledger = stored.lastLedgerSeq;
    }
    seeded = true;
    // Commands go on meanwhile: a top-up is refused as payment_in_flight until this one settles.
    if (state.pendingPayment && wf.patched('resume-seeded-payment')) await resumeSeededPayment(org, state.pendingPayment);
  }

  for (;;) {
    // What operators see follows every step (a backoff ending changes it without a commit).
    showStatus(org);
    const action = nextAction(situation(org));
    switch (action.type) {
      case 'renew':
        await renew(org);
        break;
      case 'creditSubAccounts':
        await creditSubAccounts(org);
        break;
      case 'checkPayment':
        await checkPendingPayment(org);
        break;
      case 'checkBalance':
        await checkBalance(org);
        break;
      case 'runAllocation':
        await runAllocation(org, action.subAccountId);
        break;
      case 'continueAsNew': {
        await wf.condition(wf.allHandlersFinished);
        await org.lane;
        const nextRules = await org.activities.loadBillingRules();
        // Anything that became due meanwhile is acted on first (signals are not carried).
        if (nextAction(situation(org)).type === 'continueAsNew' && wf.allHandlersFinished()) {
          await wf.continueAsNew<typeof orgBillingWorkflow>({ orgId, rules: nextRules, state });
        }
        break;
      }
      case 'wait': {
        const changed = () => !sameAction(nextAction(situation(org)), action);
        if (action.until === null) await wf.condition(changed);
        else await wf.condition(changed, Math.max(1, action.until - Date.now()));
        break;
      }
    }
  }
}

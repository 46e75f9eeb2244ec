// The previous design (workflow type `billingOrgWorkflow`): the workflow held the pools, agents and
// usage itself. Kept unchanged for the runs it started, so their histories replay; on the `handOver`
// signal such a run commits what it holds, writes it to PostgreSQL once and continues as the
// present workflow (orgBillingWorkflow). Only the hand-over is new code here.
import * as wf from '@temporalio/workflow';
import type { BillingActivities } from '../../activities';
import { NEW_AGENT, type AgentSettings } from '../../domain/agents';
import { allocationCredits, allocationIsOff } from '../../domain/allocation';
import { allowanceViewOf, type CommittableView } from '../../domain/allowanceView';
import {
  afterRechargeFailure,
  afterRechargeSuccess,
  afterRenewal,
  afterSettingsSaved,
  capReached,
  DISABLED_AFTER_FAILURES_MESSAGE,
  ENABLE_REFUSAL_MESSAGES,
  enableRefusal,
  rechargeDecision,
  type RechargeDecision,
} from '../../domain/autoRecharge';
import type { BillingRules } from '../../domain/billingRules';
import { lowBalanceCheck } from '../../domain/lowBalance';
import { addMonths, nextPeriodEndAfter } from '../../domain/period';
import { applyDebit, available, revertDebit, splitDebit } from '../../domain/pools';
import { topUpAmountCents } from '../../domain/pricing';
import {
  initialState,
  subscriptionActive,
  type LedgerKind,
  type OrgState,
  type OutboxRecord,
  type PaymentKind,
  type PendingPayment,
  type Pool,
  type AllocationNotice,
  type PricedUsageEvent,
  type TopUp,
  type Subscription,
} from '../../domain/state';
import { billingSummary } from '../../domain/summary';
import { CARD_DECLINED, type PaymentIntentState } from '../../payments/provider';
import {
  allocationNoticeSignal,
  allowanceViewQuery,
  billingSummaryQuery,
  configureAgentUpdate,
  configureAllocationUpdate,
  configureAutoRechargeUpdate,
  paymentIntentUpdatedSignal,
  recordsCommittedUpdate,
  setPaymentMethodUpdate,
  setSubscriptionUpdate,
  topUpUpdate,
  usageBacklogQuery,
  usageSignal,
  handOverSignal,
} from './messages';
import { ORG_WORKFLOW_TYPE, workflowIdFor } from '../messages';
import type { orgBillingWorkflow } from '../orgBillingWorkflow';
import { orgWorkflowStateFrom } from './handOver';
import { chargeOutcome } from '../org/payments';

export interface BillingOrgInput {
  orgId: string;
  rules: BillingRules;
  /** Carried across continue-as-new. */
  state?: OrgState;
}

const { loadBillingRules } = wf.proxyLocalActivities<BillingActivities>({ startToCloseTimeout: '10 seconds' });

type PaymentResult = PaymentIntentState;
type PaymentFailure = Extract<PaymentResult, { status: 'failed' }>;

/** Records in one PostgreSQL transaction at most. */
const WRITE_BATCH_LIMIT = 20_000;

/** Top-ups (by Idempotency-Key) and received allocations remembered, each (carried across continue-as-new). */
const REMEMBERED_PAYMENTS = 1000;

export async function billingOrgWorkflow(input: BillingOrgInput): Promise<void> {
  const { orgId, rules } = input;
  // A local activity: the write runs inside the workflow task that produced the records, with no
  // round trip through the Temporal server per batch (the largest cost per usage signal).
  const { appendRecords } = wf.proxyLocalActivities<BillingActivities>({
    startToCloseTimeout: rules.recordsTimeoutMs,
    // No attempt limit: a committed record is never dropped, PostgreSQL outages are waited out.
    retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
  });
  const { chargePayment, retrievePayment, cancelPayment } = wf.proxyActivities<BillingActivities>({
    startToCloseTimeout: rules.chargeTimeoutMs,
    // Transient provider errors retry with the same idempotency key; declines are outcomes.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [CARD_DECLINED] },
  });
  // Fields added to the state later default for runs that carried an older shape.
  const state: OrgState = { ...initialState(orgId, wf.workflowInfo().firstExecutionRunId.replace(/-/g, '').slice(0, 12)), ...input.state };
  const recentUsageIds = new Set(state.recentUsageIds);
  let writing = false;
  /** Set while continue-as-new is due: writes go on only until the outbox is small enough to carry, or while a reader waits. */
  let draining = false;
  let commitWaiters = 0;
  /** The allowance view in PostgreSQL no longer matches the committed records (duplicates were reverted after it). */
  let viewOutdated = false;
  /** Payment intents a webhook named since they were last read. */
  const intentUpdates = new Set<string>();
  let appendedRecords = state.outbox.length;
  let committedRecords = 0;

  const nowIso = () => new Date().toISOString();

  // ---- records: everything applied to state is also committed to PostgreSQL, in order ----

  function push(record: OutboxRecord) {
    state.outbox.push(record);
    appendedRecords++;
  }

  function emit(eventType: string, message: string, data: Record<string, unknown> = {}) {
    push({ type: 'event', seq: ++state.seq.event, eventType, at: nowIso(), message, data });
  }

  function ledger(kind: Exclude<LedgerKind, 'usage'>, pool: Pool, credits: number, ref: string) {
    push({ type: 'ledger', kind, pool, credits, ref, at: nowIso() });
  }

  /** The allowance view of the state now; its version grows with every record. */
  const versionedView = (): CommittableView => ({
    view: allowanceViewOf(state),
    version: state.seq.usage + state.seq.event + state.seq.ledger + state.seq.payment,
    usageSeq: state.seq.usage,
  });

  function uniqueRef(prefix: string): string {
    return `${prefix}-${++state.seq.ledger}`;
  }

  async function writeRecords(): Promise<void> {
    for (;;) {
      await wf.condition(() => (state.outbox.length > 0 || viewOutdated) && (!draining || state.outbox.length > rules.maxCarriedRecords || commitWaiters > 0));
      viewOutdated = false;
      // Everything pending, in one transaction (bounded): under load the batches grow instead of queueing.
      const batch = state.outbox.slice(0, WRITE_BATCH_LIMIT);
      // A batch that empties the outbox carries the allowance view: then it shows exactly the committed records.
      const view = batch.length === state.outbox.length ? versionedView() : undefined;
      writing = true;
      try {
        const { duplicateUsageIds } = await appendRecords({ orgId, records: batch, view });
        undoDuplicateUsage(batch, new Set(duplicateUsageIds));
      } finally {
        writing = false;
      }
      state.outbox.splice(0, batch.length);
      committedRecords += batch.length;
    }
  }

  // ---- usage ----

  function rememberUsageId(id: string) {
    recentUsageIds.add(id);
    state.recentUsageIds.push(id);
  }

  function forgetOldUsageIds() {
    const excess = state.recentUsageIds.length - rules.usageDedupeWindow;
    if (excess > 0) for (const id of state.recentUsageIds.splice(0, excess)) recentUsageIds.delete(id);
  }

  function applyUsage(events: PricedUsageEvent[]) {
    const at = nowIso();
    for (const event of events) {
      if (recentUsageIds.has(event.id)) continue;
      rememberUsageId(event.id);
      const debit = splitDebit(state.pools, event.credits);
      state.pools = applyDebit(state.pools, debit);
      const agent = (state.agents[event.agentId] ??= { ...NEW_AGENT });
      agent.spentThisMonth += event.credits;
      push({ ...event, type: 'usage', seq: ++state.seq.usage, period: state.period, at, plan: debit.plan, topUp: debit.topUp });
    }
    forgetOldUsageIds();
    noteLowBalance();
  }

  /**
   * An event redelivered after it left the dedupe window was debited again; PostgreSQL saw it
   * before, so give the credits back. Plan credits of an earlier period were already reset by
   * renewal: there the ledger gets the matching correction instead of the pool.
   */
  function undoDuplicateUsage(batch: OutboxRecord[], duplicates: Set<string>) {
    if (duplicates.size === 0) return;
    // The view just committed still shows the duplicates' debits: write it again, even with no record to go with it.
    if (wf.patched('rewrite-view-after-duplicates')) viewOutdated = true;
    for (const record of batch) {
      if (record.type !== 'usage' || !duplicates.has(record.id)) continue;
      const samePeriod = record.period === state.period;
      state.pools = revertDebit(state.pools, { plan: samePeriod ? record.plan : 0, topUp: record.topUp });
      if (!samePeriod && record.plan > 0) ledger('adjustment', 'plan', -record.plan, uniqueRef('duplicate'));
      const agent = state.agents[record.agentId];
      if (agent && samePeriod) agent.spentThisMonth -= record.credits;
    }
    wf.log.warn('Redelivered usage events reverted', { orgId, count: duplicates.size });
    noteLowBalance();
  }

  function noteLowBalance() {
    const threshold = state.autoRecharge.thresholdCredits;
    const availableCredits = available(state.pools);
    const { below, notify } = lowBalanceCheck(availableCredits, threshold, state.belowThreshold);
    state.belowThreshold = below;
    if (notify) {
      emit('balance.low', `Available credits (${availableCredits}) fell below ${threshold}.`, { availableCredits, thresholdCredits: threshold });
    }
  }

  // ---- periods ----

  function periodEndMs(): number | null {
    return state.subscription ? Date.parse(state.subscription.currentPeriodEnd) : null;
  }

  function renewalDue(): boolean {
    const end = periodEndMs();
    return end !== null && Date.now() >= end;
  }

  /** Plan credits reset (not carried over); monthly counters start again. */
  function startPeriod() {
    const subscription = state.subscription!;
    const allowance = subscription.status === 'active' ? subscription.planCredits : 0;
    const delta = allowance - state.pools.planRemaining;
    if (delta !== 0) ledger('plan_renewal', 'plan', delta, uniqueRef('renewal'));
    state.pools = { ...state.pools, planRemaining: allowance };
    state.period++;
    for (const [id, agent] of Object.entries(state.agents)) {
      // Agents with default settings carry nothing into the new period: dropping them bounds the state.
      if (agent.monthlyLimitCredits === null && agent.whenPlanExhausted === 'use_balance') delete state.agents[id];
      else agent.spentThisMonth = 0;
    }
    state.counters = afterRenewal(state.counters);
  }

  function renew() {
    const subscription = state.subscription!;
    const periodEnd = new Date(nextPeriodEndAfter(Date.parse(state.periodAnchor ?? subscription.currentPeriodEnd), Date.now())).toISOString();
    state.subscription = { ...subscription, currentPeriodEnd: periodEnd };
    startPeriod();
    emit('plan.renewed', `Plan credits renewed: ${state.pools.planRemaining} credits until ${periodEnd}.`, {
      planCredits: state.pools.planRemaining,
      currentPeriodEnd: periodEnd,
    });
    noteLowBalance();
  }

  // ---- payments: at most one in flight; 3-D Secure waits without blocking anything else ----

  const nextPaymentId = () => `pay_${state.paymentIdPrefix}_${++state.seq.payment}`;

  function beginPayment(kind: PaymentKind, credits: number, id: string, pricePer1000CreditsCents = rules.creditPricePer1000Cents): PendingPayment {
    const payment: PendingPayment = {
      id,
      kind,
      credits,
      amountCents: topUpAmountCents(credits, pricePer1000CreditsCents),
      paymentMethodId: state.paymentMethodId!,
      status: 'processing',
      paymentIntentId: null,
      clientSecret: null,
      startedAt: nowIso(),
      checkAfter: null,
    };
    state.pendingPayment = payment;
    return payment;
  }

  const charge = (payment: PendingPayment): Promise<PaymentResult> => chargeOutcome(orgId, payment, chargePayment);


  /** Where a payment stands after the provider answered: settled, or waiting with a reconciliation due. */
  function applyPaymentResult(payment: PendingPayment, result: PaymentResult) {
    if (result.status === 'succeeded') return settleSuccess(payment);
    if (result.status === 'failed') return settleFailure(payment, result);
    const firstAsk = result.status === 'requires_action' && payment.status !== 'requires_action';
    payment.status = result.status;
    payment.paymentIntentId = result.paymentIntentId;
    payment.clientSecret = result.status === 'requires_action' ? result.clientSecret : null;
    payment.checkAfter = Date.now() + rules.paymentReconcileIntervalMs;
    updateTopUp(payment, { status: result.status, clientSecret: payment.clientSecret });
    if (firstAsk) {
      emit('payment.requires_action', 'Your bank asks you to authenticate this payment.', {
        ...paymentData(payment),
        kind: payment.kind,
        paymentIntentId: result.paymentIntentId,
      });
    }
  }

  function settleSuccess(payment: PendingPayment) {
    state.pendingPayment = null;
    if (payment.kind === 'allocation') {
      // The agency pays; the credits are the sub-account's. The agency's own pools do not move.
      emit('allocation.succeeded', `Allocated ${payment.credits} credits to ${payment.subAccountId}.`, { ...paymentData(payment), subAccountId: payment.subAccountId });
      return noticeSubAccount(payment.subAccountId!, payment.id, payment.credits, 'succeeded', 'Credits allocated by your agency.');
    }
    state.pools = { ...state.pools, topUp: state.pools.topUp + payment.credits };
    ledger(payment.kind, 'top_up', payment.credits, payment.id);
    if (payment.kind === 'auto_recharge') {
      state.counters = afterRechargeSuccess(state.counters, nowIso());
      emit('auto_recharge.succeeded', 'Credits topped up successfully.', paymentData(payment));
      noteCapReached();
    } else {
      updateTopUp(payment, { status: 'succeeded', clientSecret: null });
      emit('top_up.succeeded', 'Credits topped up successfully.', paymentData(payment));
    }
    noteLowBalance();
  }

  function settleFailure(payment: PendingPayment, failure: PaymentFailure) {
    state.pendingPayment = null;
    if (payment.kind === 'allocation') {
      const data = { ...paymentData(payment), subAccountId: payment.subAccountId, declineCode: failure.declineCode };
      emit('allocation.failed', `Allocation payment failed: ${failure.message}`, data);
      return noticeSubAccount(payment.subAccountId!, payment.id, payment.credits, 'failed', `Your agency's allocation payment failed: ${failure.message}`);
    }
    if (payment.kind === 'top_up') {
      updateTopUp(payment, { status: 'failed', clientSecret: null, declineCode: failure.declineCode, message: failure.message });
      emit('top_up.failed', `Top-up payment failed: ${failure.message}`, { ...paymentData(payment), declineCode: failure.declineCode });
      return;
    }
    const outcome = afterRechargeFailure(state.counters, { retryDelayMs: rules.retryDelayMs, maxConsecutiveFailures: rules.maxConsecutiveFailures }, Date.now());
    state.counters = outcome.counters;
    emit('auto_recharge.failed', `Auto-recharge payment failed: ${failure.message}`, {
      ...paymentData(payment),
      declineCode: failure.declineCode,
      consecutiveFailures: outcome.counters.consecutiveFailures,
    });
    if (outcome.disabled) {
      state.autoRecharge = { ...state.autoRecharge, enabled: false };
      emit('auto_recharge.disabled', DISABLED_AFTER_FAILURES_MESSAGE, { consecutiveFailures: outcome.counters.consecutiveFailures });
    }
  }

  function paymentData(payment: PendingPayment): Record<string, unknown> {
    return { paymentId: payment.id, credits: payment.credits, amountCents: payment.amountCents };
  }

  async function autoRecharge() {
    const payment = beginPayment('auto_recharge', state.autoRecharge.rechargeCredits, nextPaymentId());
    applyPaymentResult(payment, await charge(payment));
  }

  const paymentExpiresAt = (payment: PendingPayment) => Date.parse(payment.startedAt) + rules.paymentActionTimeoutMs;

  /** A waiting payment is re-read when a webhook names it, when reconciliation is due, or cancelled when it expired. */
  function pendingPaymentCheckDue(): boolean {
    const payment = state.pendingPayment;
    if (!payment?.paymentIntentId || payment.checkAfter === null) return false;
    return intentUpdates.has(payment.paymentIntentId) || Date.now() >= payment.checkAfter || Date.now() >= paymentExpiresAt(payment);
  }

  async function checkPendingPayment() {
    const payment = state.pendingPayment!;
    const intentId = payment.paymentIntentId!;
    intentUpdates.delete(intentId);
    if (Date.now() < paymentExpiresAt(payment)) {
      const current = await retrievePayment(intentId);
      // A failed authentication leaves the intent confirmable with the client secret the customer
      // holds: cancel it before settling, so it can never be charged later without credits.
      if (current.status !== 'failed') return applyPaymentResult(payment, current);
      const final = await cancelPayment(intentId);
      return applyPaymentResult(payment, final.status === 'failed' ? current : final);
    }
    const final = await cancelPayment(intentId);
    if (final.status === 'failed') {
      applyPaymentResult(payment, { ...final, message: 'The payment was not authenticated in time and was canceled.', declineCode: 'authentication_timeout' });
    } else {
      applyPaymentResult(payment, final); // it succeeded meanwhile, or is still processing at the provider
    }
  }

  // ---- agency allocations: the agency's card pays, the sub-account's wallet is credited ----

  function noticeSubAccount(subAccountId: string, paymentId: string, credits: number, outcome: AllocationNotice['outcome'], message: string) {
    state.allocationNotices.push({ subAccountId, notice: { paymentId, agencyId: orgId, credits, outcome, message } });
  }

  const dueAllocation = (): string | undefined =>
    Object.keys(state.allocations)
      .sort()
      .find((sub) => Date.now() >= Date.parse(state.allocations[sub].nextRunAt));

  async function runAllocation(subAccountId: string) {
    // The rates of this moment, not of when the allocation was set.
    const current = await loadBillingRules();
    const allocation = state.allocations[subAccountId];
    // Meanwhile a top-up may have started, or the allocation changed: the loop comes back.
    if (!allocation || state.pendingPayment !== null || Date.now() < Date.parse(allocation.nextRunAt)) return;
    allocation.nextRunAt = new Date(addMonths(Date.parse(allocation.anchor), ++allocation.runs)).toISOString();
    const credits = allocationCredits(allocation, current.allocationRates);
    const paymentId = nextPaymentId();
    if (!state.paymentMethodId) {
      emit('allocation.failed', 'Allocation skipped: the agency has no payment method.', { paymentId, credits, subAccountId });
      return noticeSubAccount(subAccountId, paymentId, credits, 'failed', 'Your agency has no payment method for its allocation.');
    }
    const payment = beginPayment('allocation', credits, paymentId, current.creditPricePer1000Cents);
    payment.subAccountId = subAccountId;
    applyPaymentResult(payment, await charge(payment));
  }

  async function deliverAllocationNotice() {
    const { subAccountId, notice } = state.allocationNotices[0];
    try {
      await wf.getExternalWorkflowHandle(workflowIdFor(subAccountId)).signal(allocationNoticeSignal, notice);
    } catch (err) {
      wf.log.error('Allocation notice not delivered', { orgId, subAccountId, paymentId: notice.paymentId, error: String(err) });
    }
    state.allocationNotices.shift();
  }

  function receiveAllocation(notice: AllocationNotice) {
    if (state.receivedAllocations.includes(notice.paymentId)) return;
    state.receivedAllocations.push(notice.paymentId);
    if (state.receivedAllocations.length > REMEMBERED_PAYMENTS) state.receivedAllocations.shift();
    if (notice.outcome === 'failed') return emit('allocation.failed', notice.message, { paymentId: notice.paymentId, agencyId: notice.agencyId });
    state.pools = { ...state.pools, topUp: state.pools.topUp + notice.credits };
    ledger('allocation', 'top_up', notice.credits, notice.paymentId);
    emit('allocation.succeeded', `${notice.credits} credits allocated by your agency.`, { paymentId: notice.paymentId, agencyId: notice.agencyId, credits: notice.credits });
    noteLowBalance();
  }

  // ---- manual top-ups ----

  const findTopUp = (idempotencyKey: string) => state.topUps.find((t) => t.idempotencyKey === idempotencyKey);

  function updateTopUp(payment: PendingPayment, change: Partial<TopUp>) {
    const topUp = payment.kind === 'top_up' ? state.topUps.find((t) => t.id === payment.id) : undefined;
    if (topUp) Object.assign(topUp, change);
  }

  function refuse(type: string, message: string): never {
    throw wf.ApplicationFailure.create({ type, message, nonRetryable: true });
  }

  function noteCapReached() {
    const { autoRecharge: settings, counters } = state;
    if (!settings.enabled || counters.capReachedNotified || !capReached(settings, counters)) return;
    state.counters = { ...counters, capReachedNotified: true };
    emit(
      'auto_recharge.cap_reached',
      `Auto-recharge used ${counters.rechargesUsedThisMonth}/${settings.maxRechargesPerMonth} recharges this month and stops until the next renewal.`,
      { rechargesUsedThisMonth: counters.rechargesUsedThisMonth, maxRechargesPerMonth: settings.maxRechargesPerMonth },
    );
  }

  function currentRechargeDecision(): RechargeDecision {
    return rechargeDecision({
      settings: state.autoRecharge,
      counters: state.counters,
      availableCredits: available(state.pools),
      paymentInFlight: state.pendingPayment !== null,
      hasPaymentMethod: state.paymentMethodId !== null,
      subscriptionActive: subscriptionActive(state),
      now: Date.now(),
    });
  }

  // ---- messages ----

  const summary = () => billingSummary(state, rules.creditPricePer1000Cents);

  // ---- hand-over to the present design ----

  let handOverRequested = false;
  /** Set once the hand-over waits for its snapshot: updates are refused from then on (the API retries them with the new run). */
  let handingOver = false;
  const refuseDuringHandOver = () => {
    if (handingOver) refuse('hand_over_pending', 'This organization is moving to the new ledger; retry shortly.');
  };
  /** Usage and allocation notices that arrive once the hand-over was asked for are carried, not applied. */
  const lateUsage: PricedUsageEvent[] = [];
  const lateNotices: AllocationNotice[] = [];
  const { handOverToPostgres } = wf.proxyLocalActivities<BillingActivities>({
    startToCloseTimeout: rules.recordsTimeoutMs,
    retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
  });

  async function handOver(): Promise<never> {
    // Everything applied is committed first, and no update is under way, so the balance handed
    // over equals the ledger and nothing changes the state between the snapshot and the new run.
    handingOver = true;
    commitWaiters++;
    await wf.condition(() => state.outbox.length === 0 && !writing && wf.allHandlersFinished());
    commitWaiters--;
    await handOverToPostgres({
      orgId,
      record: { subscription: state.subscription, paymentMethodId: state.paymentMethodId, autoRecharge: state.autoRecharge, counters: state.counters, pendingPayment: state.pendingPayment },
      pools: state.pools,
      period: state.period,
      belowThreshold: state.belowThreshold,
      lastEventSeq: state.seq.event,
      agents: state.agents,
      topUps: state.topUps,
    });
    const continueAsOrgBilling = wf.makeContinueAsNewFunc<typeof orgBillingWorkflow>({ workflowType: ORG_WORKFLOW_TYPE });
    return continueAsOrgBilling({ orgId, rules, state: orgWorkflowStateFrom(state, lateUsage, lateNotices) });
  }

  wf.setHandler(handOverSignal, () => {
    handOverRequested = true;
  });

  wf.setHandler(usageSignal, (events) => (handOverRequested ? void lateUsage.push(...events) : applyUsage(events)));

  wf.setHandler(allocationNoticeSignal, (notice) => (handOverRequested ? void lateNotices.push(notice) : receiveAllocation(notice)));

  wf.setHandler(
    configureAllocationUpdate,
    (subAccountId, minutes) => {
      if (allocationIsOff(minutes)) {
        delete state.allocations[subAccountId];
        return { nextRunAt: null };
      }
      const existing = state.allocations[subAccountId];
      // A new allocation runs at once; changing an existing one keeps its monthly date.
      const allocation = existing ? { ...existing, ...minutes } : { ...minutes, anchor: nowIso(), runs: 0, nextRunAt: nowIso() };
      state.allocations[subAccountId] = allocation;
      return { nextRunAt: allocation.nextRunAt };
    },
    {
      validator: (_subAccountId, minutes) => {
        refuseDuringHandOver();
        if (!allocationIsOff(minutes) && !state.paymentMethodId) refuse('payment_method_required', 'A payment method is required for auto allocation.');
      },
    },
  );

  wf.setHandler(paymentIntentUpdatedSignal, (paymentIntentId) => {
    intentUpdates.add(paymentIntentId);
  });

  wf.setHandler(
    topUpUpdate,
    async ({ idempotencyKey, credits }) => {
      const known = findTopUp(idempotencyKey);
      if (known) return known;
      // The Idempotency-Key names the payment, so even the provider sees one charge per key.
      const payment = beginPayment('top_up', credits, `pay_${state.paymentIdPrefix}_topup_${idempotencyKey}`);
      const topUp: TopUp = {
        idempotencyKey,
        id: payment.id,
        credits,
        amountCents: payment.amountCents,
        status: 'processing',
        clientSecret: null,
        declineCode: null,
        message: null,
      };
      state.topUps.push(topUp);
      if (state.topUps.length > REMEMBERED_PAYMENTS) state.topUps.splice(0, state.topUps.length - REMEMBERED_PAYMENTS);
      applyPaymentResult(payment, await charge(payment));
      return topUp;
    },
    {
      validator: ({ idempotencyKey, credits }) => {
        refuseDuringHandOver();
        const known = findTopUp(idempotencyKey);
        if (known) {
          if (known.credits !== credits) refuse('idempotency_key_conflict', 'This Idempotency-Key was used for a different top-up.');
          return;
        }
        if (!state.paymentMethodId) refuse('payment_method_required', 'A payment method is required to top up credits.');
        if (state.pendingPayment) refuse('payment_in_flight', 'Another payment is in progress; try again shortly.');
      },
    },
  );

  wf.setHandler(setSubscriptionUpdate, (update) => {
    const previous = state.subscription;
    // One instant has many ISO spellings: compare and store it normalized.
    const subscription = { ...update, currentPeriodEnd: new Date(Date.parse(update.currentPeriodEnd)).toISOString() };
    state.subscription = subscription;
    if (!previous || Date.parse(previous.currentPeriodEnd) !== Date.parse(subscription.currentPeriodEnd)) {
      state.periodAnchor = subscription.currentPeriodEnd;
      startPeriod();
    } else if (previous.planCredits !== subscription.planCredits) {
      const remaining = Math.max(0, state.pools.planRemaining + subscription.planCredits - previous.planCredits);
      ledger('adjustment', 'plan', remaining - state.pools.planRemaining, uniqueRef('plan-change'));
      state.pools = { ...state.pools, planRemaining: remaining };
    }
    emit('subscription.updated', `Subscription is ${subscription.status} with ${subscription.planCredits} plan credits.`, { ...subscription });
    noteLowBalance();
    return summary();
  }, { validator: (_update: Subscription) => refuseDuringHandOver() });

  wf.setHandler(setPaymentMethodUpdate, (paymentMethodId) => {
    state.paymentMethodId = paymentMethodId;
    if (paymentMethodId) {
      // A new card is worth trying at once; it does not re-enable a disabled auto-recharge.
      state.counters = { ...state.counters, nextAttemptAt: null };
      emit('payment_method.updated', 'Payment method updated.', { paymentMethodId });
    } else {
      emit('payment_method.removed', 'Payment method removed.');
    }
    return summary();
  }, { validator: (_paymentMethodId: string | null) => refuseDuringHandOver() });

  wf.setHandler(
    configureAutoRechargeUpdate,
    (settings) => {
      state.counters = afterSettingsSaved(state.counters, state.autoRecharge, settings);
      state.autoRecharge = { ...settings };
      emit('settings.updated', 'Auto-recharge settings updated.', { ...settings });
      noteCapReached();
      noteLowBalance();
      return summary();
    },
    {
      validator: (settings) => {
        refuseDuringHandOver();
        if (!settings.enabled) return;
        const refusal = enableRefusal(subscriptionActive(state), state.paymentMethodId !== null);
        if (refusal) refuse(refusal, ENABLE_REFUSAL_MESSAGES[refusal]);
      },
    },
  );

  wf.setHandler(configureAgentUpdate, (agentId, settings) => {
    state.agents[agentId] = { ...(state.agents[agentId] ?? NEW_AGENT), ...settings };
    // A record, so that the allowance view in PostgreSQL is written again.
    if (wf.patched('agent-updated-event')) emit('agent.updated', `Agent ${agentId} settings updated.`, { agentId, ...settings });
    return summary();
  }, { validator: (_agentId: string, _settings: AgentSettings) => refuseDuringHandOver() });

  wf.setHandler(recordsCommittedUpdate, async () => {
    const target = appendedRecords;
    commitWaiters++;
    try {
      await wf.condition(() => committedRecords >= target);
    } finally {
      commitWaiters--;
    }
  });

  wf.setHandler(billingSummaryQuery, summary);

  wf.setHandler(allowanceViewQuery, versionedView);

  wf.setHandler(usageBacklogQuery, () => ({ uncommittedRecords: state.outbox.length, continuingAsNew: draining }));

  // ---- the loop: act on what is due, sleep until something changes or a deadline passes ----

  void writeRecords();

  const continueAsNewDue = () => {
    const info = wf.workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= rules.continueAsNewAfterEvents || info.historySize >= rules.continueAsNewAfterBytes;
  };

  const nextDeadline = (): number | null => {
    const decision = currentRechargeDecision();
    const payment = state.pendingPayment;
    const deadlines = [
      periodEndMs(),
      decision.action === 'wait_until' ? decision.at : null,
      payment?.checkAfter ?? null,
      payment?.checkAfter != null ? paymentExpiresAt(payment) : null,
      // An allocation waits for the payment in flight; its date counts again once that settles.
      ...(payment ? [] : Object.values(state.allocations).map((a) => Date.parse(a.nextRunAt))),
    ].filter((d): d is number => d !== null);
    return deadlines.length ? Math.min(...deadlines) : null;
  };

  const allocationRunDue = () => state.pendingPayment === null && dueAllocation() !== undefined;
  const actionDue = () =>
    handOverRequested ||
    renewalDue() || state.allocationNotices.length > 0 || pendingPaymentCheckDue() || currentRechargeDecision().action === 'charge' || allocationRunDue();
  // Records not yet committed travel in the state, a batch being written included: writes are
  // idempotent, so the next run writing it again changes nothing. Waiting for a gap between writes
  // would never end while a hot organization's usage keeps arriving.
  const continueWhileWriting = wf.patched('continue-as-new-while-writing');
  const readyToContinue = () => (continueWhileWriting || !writing) && state.outbox.length <= rules.maxCarriedRecords && wf.allHandlersFinished();
  let rulesForNextRun: BillingRules | undefined;

  for (;;) {
    draining = continueAsNewDue();
    if (handOverRequested) {
      await handOver();
    } else if (renewalDue()) {
      renew();
    } else if (state.allocationNotices.length > 0) {
      await deliverAllocationNotice();
    } else if (pendingPaymentCheckDue()) {
      await checkPendingPayment();
    } else if (currentRechargeDecision().action === 'charge') {
      await autoRecharge();
    } else if (allocationRunDue()) {
      await runAllocation(dueAllocation()!);
    } else if (draining && readyToContinue()) {
      rulesForNextRun ??= await loadBillingRules();
      // A webhook or a deadline that arrived meanwhile is acted on first (its trigger is not carried).
      if (readyToContinue() && !actionDue()) await wf.continueAsNew<typeof billingOrgWorkflow>({ orgId, rules: rulesForNextRun, state });
    } else {
      const deadline = nextDeadline();
      const changed = () => actionDue() || continueAsNewDue() !== draining || (draining && readyToContinue()) || nextDeadline() !== deadline;
      if (deadline === null) await wf.condition(changed);
      else await wf.condition(changed, Math.max(1, deadline - Date.now()));
    }
  }
}

// The organization a workflow run works on: its carried state, its rules, the changes not yet
// committed, and the one way they reach PostgreSQL: a single lane of local activities, one at a
// time in the order asked (commits in order, each applied at most once). One local activity in
// flight at a time also keeps replay deterministic: two resolving together could resume their
// callers in another order than when they ran.
import * as wf from '@temporalio/workflow';
import type { BillingActivities } from '../../activities';
import type { BillingRules } from '../../domain/billingRules';
import { balanceSettingsOf, type LedgerChange, type NewEvent, type OrgBillingRecord } from '../../domain/orgBilling';
import { autoRechargeState, currentDetails, paymentStatus } from '../../domain/opsStatus';
import type { TopUp } from '../../domain/payments';
import type { PaymentChange, PaymentUpdate } from '../../domain/paymentRecords';
import type { CommittedBalance } from '../../store/commitBilling';
import { CARD_DECLINED } from '../../payments/provider';
import { BILLING_AGENCY_ID, BILLING_AUTO_RECHARGE, BILLING_PAYMENT_STATUS } from '../searchAttributes';
import type { OrgWorkflowState } from './carriedState';

export interface Org {
  state: OrgWorkflowState;
  rules: BillingRules;
  activities: OrgActivities;
  /** Changes applied to the state and not yet committed. */
  pending: Pending;
  /** The balance may have changed since the last decision: read it before deciding again. */
  balanceCheckDue: boolean;
  /** Payment intents a webhook named since they were last read. */
  intentUpdates: Set<string>;
  /** The PostgreSQL lane: settles once everything asked of it so far is done. */
  lane: Promise<unknown>;
  /** As of the last commit or balance read: shown to operators. */
  lastAvailableCredits: number | null;
  agencyId: string | null;
  /** The search attribute values last upserted in this run. */
  shownStatus: string | null;
  /** Settles once the refund asked for before is done (refunds.ts): refunds are decided one at a time. */
  refundTurn: Promise<unknown>;
}

interface Pending {
  ledger: LedgerChange[];
  events: NewEvent[];
  topUps: TopUp[];
  payments: PaymentUpdate[];
  paymentChanges: PaymentChange[];
}

const nothingPending = (): Pending => ({ ledger: [], events: [], topUps: [], payments: [], paymentChanges: [] });

type OrgActivities = ReturnType<typeof orgActivities>;

export function newOrg(state: OrgWorkflowState, rules: BillingRules): Org {
  const waitingIntent = state.pendingPayment?.paymentIntentId;
  const org: Org = {
    state,
    rules,
    activities: undefined as unknown as OrgActivities,
    pending: nothingPending(),
    // On every start the balance is read once: a crossing whose signal was lost is acted on here.
    balanceCheckDue: true,
    // A webhook may have come between runs: a waiting payment is re-read at once.
    intentUpdates: new Set(waitingIntent ? [waitingIntent] : []),
    lane: Promise.resolve(),
    lastAvailableCredits: null,
    agencyId: null,
    shownStatus: null,
    refundTurn: Promise.resolve(),
  };
  org.activities = orgActivities(org);
  return org;
}

/** Runs `work` once everything asked of the lane before it is done. */
function inLane<T>(org: Org, work: () => Promise<T>): Promise<T> {
  const next = org.lane.then(work);
  org.lane = next.catch(() => undefined);
  return next;
}

function orgActivities(org: Org) {
  const { rules } = org;
  const local = wf.proxyLocalActivities<BillingActivities>({
    startToCloseTimeout: rules.recordsTimeoutMs,
    // No attempt limit: a decided change is never dropped; PostgreSQL outages are waited out.
    retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
  });
  const payments = wf.proxyActivities<BillingActivities>({
    startToCloseTimeout: rules.chargeTimeoutMs,
    // Transient provider errors retry with the same idempotency key; declines are outcomes.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [CARD_DECLINED] },
  });
  const laned =
    <Args extends unknown[], T>(activity: (...args: Args) => Promise<T>) =>
    (...args: Args) =>
      inLane(org, () => activity(...args));
  return {
    /** Only through commit(): it takes the pending changes when its turn comes. */
    commitBillingNow: local.commitBilling,
    readAvailableCredits: laned(local.readAvailableCredits),
    readBurnRateCreditsPerDay: laned(local.readBurnRateCreditsPerDay),
    creditSubAccount: laned(local.creditSubAccount),
    findTopUp: laned(local.findTopUp),
    loadStoredBilling: laned(local.loadStoredBilling),
    loadBillingRules: laned(local.loadBillingRules),
    readPayment: laned(local.readPayment),
    chargePayment: payments.chargePayment,
    retrievePayment: payments.retrievePayment,
    cancelPayment: payments.cancelPayment,
    refundPayment: payments.refundPayment,
  };
}

export const nowIso = () => new Date().toISOString();

/** `key` makes the event once-only where the same fact may be reported again (a refund by its id). */
export function emit(org: Org, type: string, message: string, data: Record<string, unknown> = {}, key?: string): void {
  org.pending.events.push({ type, at: nowIso(), message, data, ...(key ? { key } : {}) });
}

export function changeLedger(org: Org, change: LedgerChange): void {
  org.pending.ledger.push(change);
}

export function uniqueRef(org: Org, prefix: string): string {
  return `${prefix}-${++org.state.seq.ledger}`;
}

export function refuse(type: string, message: string): never {
  throw wf.ApplicationFailure.create({ type, message, nonRetryable: true });
}

const recordOf = ({ subscription, paymentMethodId, autoRecharge, counters, pendingPayment }: OrgWorkflowState): OrgBillingRecord => ({
  subscription,
  paymentMethodId,
  autoRecharge,
  counters,
  pendingPayment,
});

/** Commits everything changed so far, in its turn in the lane (the changes are taken when it runs). */
export function commit(org: Org): Promise<CommittedBalance> {
  return inLane(org, async () => {
    const { ledger, events, topUps, payments, paymentChanges } = org.pending;
    org.pending = nothingPending();
    const record = recordOf(org.state);
    const committed = await org.activities.commitBillingNow({
      orgId: org.state.orgId,
      version: ++org.state.seq.commit,
      record,
      settings: balanceSettingsOf(record),
      ledger,
      events,
      topUps,
      payments,
      paymentChanges,
      at: nowIso(),
    });
    org.lastAvailableCredits = committed.availableCredits;
    org.agencyId = committed.agencyId;
    showStatus(org);
    return committed;
  });
}

/**
 * Keeps what operators see current: the search attributes (upserted when they change) and the
 * workflow's current details. Runs that started before the attributes existed upsert nothing.
 */
export function showStatus(org: Org): void {
  const record = recordOf(org.state);
  const now = Date.now();
  wf.setCurrentDetails(currentDetails(record, org.lastAvailableCredits, now));
  const status = { autoRecharge: autoRechargeState(record, now), payment: paymentStatus(record), agencyId: org.agencyId };
  const shown = JSON.stringify(status);
  if (shown === org.shownStatus || !wf.patched('ops-search-attributes')) return;
  org.shownStatus = shown;
  wf.upsertSearchAttributes([
    { key: BILLING_AUTO_RECHARGE, value: status.autoRecharge },
    { key: BILLING_PAYMENT_STATUS, value: status.payment },
    { key: BILLING_AGENCY_ID, value: status.agencyId },
  ]);
}

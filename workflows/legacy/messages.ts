// Signals, updates and queries of the previous design's workflow (billingOrgWorkflow), as its runs know them.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AgentSettings } from '../../domain/agents';
import type { AutoRechargeSettings } from '../../domain/autoRecharge';
import type { AllocationMinutes } from '../../domain/allocation';
import type { CommittableView } from '../../domain/allowanceView';
import type { AllocationNotice, PricedUsageEvent, Subscription, TopUp } from '../../domain/state';
import type { BillingSummary } from '../../domain/summary';


export interface TopUpRequest {
  idempotencyKey: string;
  credits: number;
}

export const usageSignal = defineSignal<[PricedUsageEvent[]]>('usage');
/** A provider event named this payment intent: the workflow re-reads it before acting. */
export const paymentIntentUpdatedSignal = defineSignal<[string]>('paymentIntentUpdated');

/** From an agency's workflow: an allocation payment for this sub-account succeeded or failed. */
export const allocationNoticeSignal = defineSignal<[AllocationNotice]>('allocationNotice');

/** Sets (or, with zero minutes, turns off) the monthly allocation to one sub-account. */
export const configureAllocationUpdate = defineUpdate<{ nextRunAt: string | null }, [string, AllocationMinutes]>('configureAllocation');

/** Resolves when the charge succeeded, failed, or waits for 3-D Secure. */
export const topUpUpdate = defineUpdate<TopUp, [TopUpRequest]>('topUp');

export const setSubscriptionUpdate = defineUpdate<BillingSummary, [Subscription]>('setSubscription');
export const setPaymentMethodUpdate = defineUpdate<BillingSummary, [string | null]>('setPaymentMethod');
export const configureAutoRechargeUpdate = defineUpdate<BillingSummary, [AutoRechargeSettings]>('configureAutoRecharge');
export const configureAgentUpdate = defineUpdate<BillingSummary, [string, AgentSettings]>('configureAgent');
/** Resolves once every record applied so far is committed to PostgreSQL: read-your-writes for ledger and events. */
export const recordsCommittedUpdate = defineUpdate<void, []>('recordsCommitted');

export const billingSummaryQuery = defineQuery<BillingSummary>('billingSummary');

/** What an allowance check needs, with the version and usage seq of the state it shows (as allowance_views holds them). */
export const allowanceViewQuery = defineQuery<CommittableView>('allowanceView');

export interface UsageBacklog {
  /** Records applied but not yet committed to PostgreSQL. */
  uncommittedRecords: number;
  /** Continue-as-new is due and waits for the uncommitted records to be written. */
  continuingAsNew: boolean;
}
/** What the API asks before sending a hot organization more usage. */
export const usageBacklogQuery = defineQuery<UsageBacklog>('usageBacklog');

/** Asks a run of the previous design to write what it holds to PostgreSQL once and continue as the present workflow. */
export const handOverSignal = defineSignal('handOver');

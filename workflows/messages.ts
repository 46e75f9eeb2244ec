// What the workflows' clients name: the task queue, each workflow's type and id, and the
// organization workflow's signals and updates. Defined once, shared by the workflows and their
// clients (the API, the delivery relay, tests).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AllocationRequest } from '../domain/allocation';
import type { AutoRechargeSettings } from '../domain/autoRecharge';
import type { Subscription } from '../domain/subscription';
import type { TopUp } from '../domain/payments';
import type { AppliedPaymentChange, PaymentChange } from '../domain/paymentRecords';

export const TASK_QUEUE = 'billing';

/** The organization workflow's type. */
export const ORG_WORKFLOW_TYPE = 'orgBillingWorkflow';

export function workflowIdFor(orgId: string): string {
  return `billing-org-${orgId}`;
}

/** The delivery workflow's type, and its id: the delivery and its run, so each run starts once. */
export const DELIVERY_WORKFLOW_TYPE = 'deliveryWorkflow';

export const deliveryWorkflowId = (deliveryId: string, run: number) => `delivery-${deliveryId}-${run}`;

export interface TopUpRequest {
  idempotencyKey: string;
  credits: number;
}

/** A usage debit took available below the threshold: the workflow reads the balance and decides. */
export interface BalanceLow {
  /** The usage event whose debit crossed the threshold (null when a sweep resends a pending signal). */
  crossedBy: string | null;
  availableCredits: number;
}
export const balanceLowSignal = defineSignal<[BalanceLow]>('balanceLow');

/** A provider event named this payment intent: the workflow re-reads it before acting. */
export const paymentIntentUpdatedSignal = defineSignal<[string]>('paymentIntentUpdated');

/** Sets (or, with zero minutes, turns off) the monthly allocation to one sub-account. */
export const configureAllocationUpdate = defineUpdate<{ nextRunAt: string | null }, [string, AllocationRequest]>('configureAllocation');

/** The cards allocations name, by sub-account (a query: the API asks before a card is removed). */
export const allocationCardsQuery = defineQuery<Record<string, string>>('allocationCards');

/** Resolves when the charge succeeded, failed, or waits for 3-D Secure. */
export const topUpUpdate = defineUpdate<TopUp, [TopUpRequest]>('topUp');

/** Each resolves once the change is committed to PostgreSQL: a read after it reflects it. */
export const setSubscriptionUpdate = defineUpdate<void, [Subscription]>('setSubscription');
export const setPaymentMethodUpdate = defineUpdate<void, [string | null]>('setPaymentMethod');
export const configureAutoRechargeUpdate = defineUpdate<void, [AutoRechargeSettings]>('configureAutoRecharge');

export interface RefundPaymentRequest {
  paymentId: string;
  /** Default: every credit left unrefunded. */
  credits?: number;
}

export interface PaymentRefund {
  /** The provider's refund id (also the ledger entry's ref). */
  id: string;
  paymentId: string;
  credits: number;
  amountCents: number;
}

/** An operator's refund: resolves once the provider refunded and the credits were taken back (committed). */
export const refundPaymentUpdate = defineUpdate<PaymentRefund, [RefundPaymentRequest]>('refundPayment');

/** Refunds and dispute changes the provider reported; resolves once committed (each applied once). */
export const applyPaymentChangesUpdate = defineUpdate<AppliedPaymentChange[], [PaymentChange[]]>('applyPaymentChanges');

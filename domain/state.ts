// The organization's billing state, as the workflow holds it and carries across continue-as-new.
import type { AgentState } from './agents';
import type { AutoRechargeCounters, AutoRechargeSettings } from './autoRecharge';
import { DEFAULT_AUTO_RECHARGE, INITIAL_COUNTERS } from './autoRecharge';
import type { Pools } from './pools';

export type SubscriptionStatus = 'active' | 'past_due' | 'canceled';

export interface Subscription {
  status: SubscriptionStatus;
  planCredits: number;
  /** ISO 8601; the end of the current billing period, when plan credits renew. */
  currentPeriodEnd: string;
}

/** A usage event as the API hands it to the workflow: already priced. */
export interface PricedUsageEvent {
  id: string;
  agentId: string;
  meter: string;
  quantity: number;
  credits: number;
  occurredAt: string;
}

export type PaymentKind = 'auto_recharge' | 'top_up' | 'allocation';

export interface PendingPayment {
  /** Deterministic; also the provider idempotency key and the ledger ref. */
  id: string;
  kind: PaymentKind;
  credits: number;
  amountCents: number;
  paymentMethodId: string;
  status: 'processing' | 'requires_action';
  paymentIntentId: string | null;
  clientSecret: string | null;
  startedAt: string;
  /** For allocations: the sub-account the credits go to. */
  subAccountId?: string;
  /** For manual top-ups: the Idempotency-Key that names it. */
  idempotencyKey?: string;
  /** Epoch ms of the next reconciliation with the provider while the payment waits (a webhook may be lost). */
  checkAfter: number | null;
  /** Past its expiry, the cancel was tried (the provider may have refused: it was still processing). */
  cancelTried?: boolean;
}

/** An agency's monthly allocation to one sub-account. */
export interface Allocation {
  basicMinutes: number;
  premiumMinutes: number;
  /** Runs fall on this instant's day of later months. */
  anchor: string;
  runs: number;
  nextRunAt: string;
}

/** What an agency's workflow tells a sub-account's about one allocation payment. */
export interface AllocationNotice {
  paymentId: string;
  agencyId: string;
  credits: number;
  outcome: 'succeeded' | 'failed';
  message: string;
}

/** A manual top-up as its Idempotency-Key answers it, now and on every retry. */
export interface TopUp {
  idempotencyKey: string;
  id: string;
  credits: number;
  amountCents: number;
  status: 'processing' | 'requires_action' | 'succeeded' | 'failed';
  clientSecret: string | null;
  declineCode: string | null;
  message: string | null;
}

export type Pool = 'plan' | 'top_up';
export type LedgerKind = 'usage' | 'plan_renewal' | 'top_up' | 'auto_recharge' | 'allocation' | 'adjustment';

export type OutboxRecord =
  | ({ type: 'usage'; seq: number; period: number; at: string; plan: number; topUp: number } & PricedUsageEvent)
  | { type: 'ledger'; kind: Exclude<LedgerKind, 'usage'>; pool: Pool; credits: number; ref: string; at: string }
  | { type: 'event'; seq: number; eventType: string; at: string; message: string; data: Record<string, unknown> };

export interface OrgState {
  orgId: string;
  pools: Pools;
  subscription: Subscription | null;
  /** The period end the billing system last set: later periods end on its day of the month. */
  periodAnchor: string | null;
  paymentMethodId: string | null;
  autoRecharge: AutoRechargeSettings;
  counters: AutoRechargeCounters;
  agents: Record<string, AgentState>;
  pendingPayment: PendingPayment | null;
  belowThreshold: boolean;
  /** Counts billing periods; usage records carry it so a late correction knows which period it belongs to. */
  period: number;
  /** Makes payment ids unique to this workflow chain (its first run id), so a re-created org never reuses a key. */
  paymentIdPrefix: string;
  /** Monotonic counters that make ids deterministic across replays and runs. */
  seq: { usage: number; event: number; payment: number; ledger: number };
  /** The most recent usage event ids, oldest first: the in-workflow dedupe window. */
  recentUsageIds: string[];
  /** The most recent manual top-ups, oldest first: what a retried Idempotency-Key gets back. */
  topUps: TopUp[];
  /** Agency side: allocations by sub-account id, and notices not yet delivered to sub-accounts. */
  allocations: Record<string, Allocation>;
  allocationNotices: Array<{ subAccountId: string; notice: AllocationNotice }>;
  /** Sub-account side: allocation payments already received (dedupe window). */
  receivedAllocations: string[];
  /** Records applied to state but not yet committed to PostgreSQL. */
  outbox: OutboxRecord[];
}

export function initialState(orgId: string, paymentIdPrefix: string): OrgState {
  return {
    orgId,
    period: 0,
    paymentIdPrefix,
    pools: { planRemaining: 0, topUp: 0 },
    subscription: null,
    periodAnchor: null,
    paymentMethodId: null,
    autoRecharge: { ...DEFAULT_AUTO_RECHARGE },
    counters: { ...INITIAL_COUNTERS },
    agents: {},
    pendingPayment: null,
    belowThreshold: false,
    seq: { usage: 0, event: 0, payment: 0, ledger: 0 },
    recentUsageIds: [],
    topUps: [],
    allocations: {},
    allocationNotices: [],
    receivedAllocations: [],
    outbox: [],
  };
}

export function subscriptionActive(state: Pick<OrgState, 'subscription'>): boolean {
  return state.subscription?.status === 'active';
}

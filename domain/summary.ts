// The billing summary (GET /billing), derived from the workflow's record, the pools and the agents.
import { rechargeMode, type RechargeMode } from './autoRecharge';
import { allowance, NEW_AGENT, type AgentState, type Allowance, type WhenPlanExhausted } from './agents';
import type { CardView } from './cards';
import type { OrgBillingRecord } from './orgBilling';
import { available, type Pools } from './pools';
import { subscriptionActive, type SubscriptionStatus } from './subscription';

/** At most this many agents in a summary: the rest are paged through GET /agents. */
export const SUMMARY_AGENTS = 100;

export interface AgentEntry extends AgentState {
  id: string;
}

/** What a summary is made of: the workflow's record, the pools and the agents of this period. */
export interface BillingSummarySource extends OrgBillingRecord {
  orgId: string;
  pools: Pools;
  /** The agents to show, in their order: the SUMMARY_AGENTS with the most spend this period, ties by id. */
  agents: AgentEntry[];
  /** Every agent: those that spent this period or have settings of their own. */
  agentCount: number;
  /** The default card's details as saved (absent or null: unknown). */
  card?: Omit<CardView, 'id'> | null;
  /** The live grants' soonest expiry: what expires then, and when (absent or null: none). */
  nextExpiry?: NextExpiry | null;
}

export interface NextExpiry {
  credits: number;
  at: string;
}

export interface BillingSummary {
  orgId: string;
  availableCredits: number;
  topUpCredits: number;
  /** What remains of the live credit grants. */
  grantCredits: number;
  nextExpiry: NextExpiry | null;
  planCredits: { allowance: number; remaining: number };
  nextRenewalAt: string | null;
  subscription: { status: SubscriptionStatus } | null;
  paymentMethod: CardView | null;
  autoRecharge: {
    enabled: boolean;
    thresholdCredits: number;
    rechargeCredits: number;
    maxRechargesPerMonth: number;
    mode: RechargeMode;
    /** null: never set (fixed settings saved without one). */
    targetCredits: number | null;
    rechargesUsedThisMonth: number;
    lastRechargedAt: string | null;
    pricePer1000CreditsCents: number;
    consecutiveFailures: number;
    disabledReason: string | null;
  };
  pendingPayment: null | {
    id: string;
    paymentIntentId: string | null;
    kind: string;
    credits: number;
    status: string;
    clientSecret: string | null;
  };
  agents: Array<{
    id: string;
    spentThisMonth: number;
    monthlyLimitCredits: number | null;
    whenPlanExhausted: WhenPlanExhausted;
  } & Allowance>;
  agentCount: number;
}

export function agentAllowance(state: BillingSummarySource, agentId: string): Allowance {
  return allowance(state.agents.find((agent) => agent.id === agentId) ?? NEW_AGENT, state.pools, subscriptionActive(state.subscription));
}

export function billingSummary(state: BillingSummarySource, pricePer1000CreditsCents: number): BillingSummary {
  const { autoRecharge: settings, counters, pendingPayment: payment } = state;
  return {
    orgId: state.orgId,
    availableCredits: available(state.pools),
    topUpCredits: state.pools.wallet,
    grantCredits: state.pools.grants ?? 0,
    nextExpiry: state.nextExpiry ?? null,
    planCredits: { allowance: state.subscription?.planCredits ?? 0, remaining: state.pools.planRemaining },
    nextRenewalAt: state.subscription?.currentPeriodEnd ?? null,
    subscription: state.subscription ? { status: state.subscription.status } : null,
    paymentMethod: state.paymentMethodId
      ? { id: state.paymentMethodId, brand: state.card?.brand ?? null, last4: state.card?.last4 ?? null, expMonth: state.card?.expMonth ?? null, expYear: state.card?.expYear ?? null }
      : null,
    autoRecharge: {
      ...settings,
      mode: rechargeMode(settings),
      targetCredits: settings.targetCredits ?? null,
      rechargesUsedThisMonth: counters.rechargesUsedThisMonth,
      lastRechargedAt: counters.lastRechargedAt,
      pricePer1000CreditsCents,
      consecutiveFailures: counters.consecutiveFailures,
      disabledReason: counters.disabledReason,
    },
    pendingPayment: payment && {
      id: payment.id,
      paymentIntentId: payment.paymentIntentId,
      kind: payment.kind,
      credits: payment.credits,
      status: payment.status,
      clientSecret: payment.clientSecret,
    },
    agents: state.agents.map(({ id, ...agent }) => ({ id, ...agent, ...allowance(agent, state.pools, subscriptionActive(state.subscription)) })),
    agentCount: state.agentCount,
  };
}

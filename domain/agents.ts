// Agents and whether they may go on serving.
import type { Pools } from './pools';

export type WhenPlanExhausted = 'stop' | 'use_balance';

export interface AgentSettings {
  monthlyLimitCredits: number | null;
  whenPlanExhausted: WhenPlanExhausted;
}

export interface AgentState extends AgentSettings {
  spentThisMonth: number;
}

export type DenialReason = 'subscription_inactive' | 'plan_exhausted' | 'agent_limit_reached' | 'insufficient_balance';

export interface Allowance {
  allowed: boolean;
  reason: DenialReason | null;
}

export const NEW_AGENT: AgentState = { spentThisMonth: 0, monthlyLimitCredits: null, whenPlanExhausted: 'use_balance' };

/** An agent whose answer depends on more than the pools: it has a limit or stops on plan credits. */
export const hasOwnSettings = (agent: AgentSettings) => agent.monthlyLimitCredits !== null || agent.whenPlanExhausted !== NEW_AGENT.whenPlanExhausted;

/** What the agent may still spend from plan credits this period: up to its monthly limit (none: no bound). */
export function planHeadroom(agent: Pick<AgentState, 'spentThisMonth' | 'monthlyLimitCredits'>): number {
  return agent.monthlyLimitCredits === null ? Number.POSITIVE_INFINITY : Math.max(agent.monthlyLimitCredits - agent.spentThisMonth, 0);
}

/** The allowance check and the debit (pools.ts splitDebit, record_usage) draw the same line. */
export function underMonthlyLimit(agent: AgentState): boolean {
  return planHeadroom(agent) > 0;
}

/**
 * Plan credits while they remain and the agent is under its limit; otherwise credit grants and the
 * wallet, only for `use_balance` agents and only while grants remain or the wallet is positive.
 */
export function allowance(agent: AgentState, pools: Pools, subscriptionActive: boolean): Allowance {
  if (!subscriptionActive) return { allowed: false, reason: 'subscription_inactive' };
  const underLimit = underMonthlyLimit(agent);
  if (pools.planRemaining > 0 && underLimit) return { allowed: true, reason: null };
  if (agent.whenPlanExhausted === 'stop') {
    return { allowed: false, reason: underLimit ? 'plan_exhausted' : 'agent_limit_reached' };
  }
  if ((pools.grants ?? 0) > 0 || pools.wallet > 0) return { allowed: true, reason: null };
  return { allowed: false, reason: 'insufficient_balance' };
}

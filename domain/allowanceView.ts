// What an allowance check needs of an organization, and nothing more: the pools, whether the
// subscription is active, and the agents whose settings make their own spend matter. The
// workflow commits it to PostgreSQL with its records; the API keeps it in memory and applies
// the usage it accepts on top.
import { allowance, hasOwnSettings, NEW_AGENT, type AgentState, type Allowance } from './agents';
import { applyDebit, splitDebit, type Pools } from './pools';
import { subscriptionActive, type OrgState } from './state';

export interface AllowanceView {
  pools: Pools;
  subscriptionActive: boolean;
  /** Only agents with a monthly limit or `stop`: any other agent's answer depends on the pools alone. */
  agents: Record<string, AgentState>;
}

/** A view and the version of the state it shows: a later state has a higher version. */
export interface VersionedView {
  view: AllowanceView;
  version: number;
}

/** A view as the workflow commits it: it includes exactly the usage events with seq <= usageSeq. */
export interface CommittableView extends VersionedView {
  usageSeq: number;
}

export interface UsageDebit {
  agentId: string;
  credits: number;
}

function ownSettingsOnly(agents: Array<[string, AgentState]>): Record<string, AgentState> {
  return Object.fromEntries(agents.filter(([, agent]) => hasOwnSettings(agent)).map(([id, { spentThisMonth, monthlyLimitCredits, whenPlanExhausted }]) => [id, { spentThisMonth, monthlyLimitCredits, whenPlanExhausted }]));
}

export function allowanceViewOf(state: OrgState): AllowanceView {
  return { pools: { ...state.pools }, subscriptionActive: subscriptionActive(state), agents: ownSettingsOnly(Object.entries(state.agents)) };
}

/** The same spend order and agent counters the workflow applies. */
export function withUsage(view: AllowanceView, usage: UsageDebit[]): AllowanceView {
  let pools = view.pools;
  const agents = { ...view.agents };
  for (const { agentId, credits } of usage) {
    pools = applyDebit(pools, splitDebit(pools, credits));
    const agent = agents[agentId];
    if (agent) agents[agentId] = { ...agent, spentThisMonth: agent.spentThisMonth + credits };
  }
  return { ...view, pools, agents };
}

export function viewAllowance(view: AllowanceView, agentId: string): Allowance {
  return allowance(view.agents[agentId] ?? NEW_AGENT, view.pools, view.subscriptionActive);
}

// The two pools and the order they are spent in: plan credits first, then the wallet; an agent at
// its monthly limit spends the wallet only. PostgreSQL owns the debit (record_usage, migrations/);
// splitDebit mirrors its split for the policy simulation, and test/store/debitSplit.test.ts holds
// the two together.

export interface Pools {
  /** Plan credits left this period; never negative. */
  planRemaining: number;
  /** The wallet; negative means debt. */
  wallet: number;
}

export interface Debit {
  plan: number;
  wallet: number;
}

export function available(pools: Pools): number {
  return pools.planRemaining + pools.wallet;
}

/**
 * Plan credits first, as far as they remain and as far as the agent may still spend them
 * (`agentPlanHeadroom`, domain/agents.ts planHeadroom: its monthly limit less its spend this period
 * before this debit); the rest from the wallet, which may go negative: usage that happened is
 * always recorded. A debit that crosses the agent's limit takes the part up to the limit from the
 * plan, as a debit that uses up the plan does.
 */
export function splitDebit(pools: Pools, credits: number, agentPlanHeadroom = Number.POSITIVE_INFINITY): Debit {
  const plan = Math.min(Math.max(pools.planRemaining, 0), Math.max(agentPlanHeadroom, 0), credits);
  return { plan, wallet: credits - plan };
}

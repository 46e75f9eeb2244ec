// The pools and the order they are spent in: plan credits first, then credit grants (domain/grants.ts
// spendOrder), then the wallet; an agent at its monthly limit spends grants and the wallet only.
// PostgreSQL owns the debit (record_usage, migrations/); splitDebit mirrors its split for the policy
// simulation, and test/store/debitSplit.test.ts holds the two together.

export interface Pools {
  /** Plan credits left this period; never negative. */
  planRemaining: number;
  /** What remains of the organization's live credit grants, all together (balances.grant_credits); absent: none. */
  grants?: number;
  /** The wallet; negative means debt. */
  wallet: number;
}

export interface Debit {
  plan: number;
  grants: number;
  wallet: number;
}

/** Available credits: SQL available_credits (migrations/) is the same sum (test/store/availableCredits.test.ts). */
export function available(pools: Pools): number {
  return pools.planRemaining + (pools.grants ?? 0) + pools.wallet;
}

/** The pools after a debit. */
export const debited = (pools: Pools, debit: Debit): Pools => ({
  planRemaining: pools.planRemaining - debit.plan,
  grants: (pools.grants ?? 0) - debit.grants,
  wallet: pools.wallet - debit.wallet,
});

/**
 * Plan credits first, as far as they remain and as far as the agent may still spend them
 * (`agentPlanHeadroom`, domain/agents.ts planHeadroom: its monthly limit less its spend this period
 * before this debit); then the grants while they last (which grant: domain/grants.ts
 * splitAcrossGrants); the rest from the wallet, which may go negative: usage that happened is
 * always recorded. A debit that crosses the agent's limit takes the part up to the limit from the
 * plan, as a debit that uses up the plan does.
 */
export function splitDebit(pools: Pools, credits: number, agentPlanHeadroom = Number.POSITIVE_INFINITY): Debit {
  const plan = Math.min(Math.max(pools.planRemaining, 0), Math.max(agentPlanHeadroom, 0), credits);
  const grants = Math.min(Math.max(pools.grants ?? 0, 0), credits - plan);
  return { plan, grants, wallet: credits - plan - grants };
}

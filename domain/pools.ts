// The two pools and the order they are spent in: plan credits first, then the wallet.

export interface Pools {
  /** Plan credits left this period; never negative. */
  planRemaining: number;
  /** The wallet; negative means debt. */
  topUp: number;
}

export interface Debit {
  plan: number;
  topUp: number;
}

export function available(pools: Pools): number {
  return pools.planRemaining + pools.topUp;
}

/** Plan credits first, then the wallet, which may go negative: usage that happened is always recorded. */
export function splitDebit(pools: Pools, credits: number): Debit {
  const plan = Math.min(Math.max(pools.planRemaining, 0), credits);
  return { plan, topUp: credits - plan };
}

export function applyDebit(pools: Pools, debit: Debit): Pools {
  return { planRemaining: pools.planRemaining - debit.plan, topUp: pools.topUp - debit.topUp };
}

export function revertDebit(pools: Pools, debit: Debit): Pools {
  return { planRemaining: pools.planRemaining + debit.plan, topUp: pools.topUp + debit.topUp };
}

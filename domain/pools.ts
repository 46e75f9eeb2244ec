// The two pools and the order they are spent in: plan credits first, then the wallet.
// PostgreSQL owns the debit (record_usage, migrations/); splitDebit mirrors its split for the
// policy simulation, and test/store/debitSplit.test.ts holds the two together.

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

/** Plan credits first, then the wallet, which may go negative: usage that happened is always recorded. */
export function splitDebit(pools: Pools, credits: number): Debit {
  const plan = Math.min(Math.max(pools.planRemaining, 0), credits);
  return { plan, wallet: credits - plan };
}

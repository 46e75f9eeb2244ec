// The ledger's vocabulary: which pool an entry moves, and why.

export type Pool = 'plan' | 'wallet' | 'grant';
export type LedgerKind = 'usage' | 'usage_void' | 'plan_renewal' | 'top_up' | 'auto_recharge' | 'allocation' | 'adjustment' | 'refund' | 'dispute' | 'dispute_reversal' | 'grant' | 'expiry' | 'grant_void';

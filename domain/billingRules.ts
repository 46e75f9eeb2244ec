// Tunables the workflow reads from its worker at the start of every run (configuration, not code).
import type { AllocationRates } from './allocation';

export interface BillingRules {
  creditPricePer1000Cents: number;
  minTopUpCredits: number;
  /** The meters monthly allocations buy minutes of. */
  allocationRates: AllocationRates;
  /** AUTO_RECHARGE_RETRY_DELAY_MS: wait after a failed auto-recharge before the next attempt. */
  retryDelayMs: number;
  /** Consecutive failed attempts that disable auto-recharge. */
  maxConsecutiveFailures: number;
  /** PAYMENT_ACTION_TIMEOUT_MS: how long a payment may wait for 3-D Secure. */
  paymentActionTimeoutMs: number;
  /** While a payment waits for 3-D Secure, how often the provider is asked (in case a webhook was lost). */
  paymentReconcileIntervalMs: number;
  /** Continue-as-new once the run's history has this many events, or this many bytes. */
  continueAsNewAfterEvents: number;
  continueAsNewAfterBytes: number;
  /** How long one charge attempt may run before Temporal retries it (a worker that died mid-charge). */
  chargeTimeoutMs: number;
  /** How long one of the workflow's PostgreSQL activities (a commit, a balance read) may run before it is retried. */
  recordsTimeoutMs: number;
  /** PURCHASED_CREDITS_EXPIRE_AFTER_DAYS: purchased credits become a paid grant expiring this many days after payment (absent or null: they go to the wallet and never expire). */
  purchasedCreditsExpireAfterDays?: number | null;
}

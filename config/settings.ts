// Every setting the service reads from its environment, with the embedded defaults of a local run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BillingRules } from '../domain/billingRules';
import { DEFAULT_USAGE_CORRECTION_WINDOW_DAYS } from '../domain/usageCorrection';
import type { PriceBook } from '../domain/pricing';
import { DEFAULT_DATABASE_TIMEOUTS, type DatabaseTimeouts } from './databaseTimeouts';
import { loadNotificationSettings, type NotificationSettings } from './notificationSettings';
import { PROJECT_ROOT } from './paths';

export const DEV_JWT_SECRET = 'dev-only-insecure-secret';
export const SANDBOX_WEBHOOK_SECRET = 'whsec_sandbox_local_only';

export interface Settings {
  production: boolean;
  /** The API's listen address: loopback unless told otherwise (a container sets 0.0.0.0). */
  host: string;
  port: number;
  /** When set, GET /metrics needs it as a bearer token. */
  metricsToken: string | undefined;
  databaseUrl: string;
  databaseTimeouts: DatabaseTimeouts;
  /** How often each API sends the threshold signals left pending (a process died, Temporal was down). */
  crossingSweepIntervalMs: number;
  /** How often each API looks for default cards about to expire (payment_method.expiring). */
  cardExpirySweepIntervalMs: number;
  /** The longest the grant expiry sweep sleeps; it wakes at the soonest expiry it knows of sooner. */
  grantExpirySweepIntervalMs: number;
  temporal: {
    /** Unset: an embedded dev server is started. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    cliPath: string | undefined;
    devServerPort: number;
    dataDir: string;
    /** How long Temporal may stay unreachable before /healthz says the process is not live. */
    livenessGraceMs: number;
    /** How long a command (a workflow start, update or signal) may take to reach Temporal and be
     * accepted before it answers 503 temporal_unavailable. */
    commandTimeoutMs: number;
    /** WORKER_MAX_CACHED_WORKFLOWS: workflow runs the worker keeps in memory between tasks (most of
     * its memory with many organizations); unset: the SDK's default, derived from the heap limit. */
    maxCachedWorkflows: number | undefined;
  };
  authJwtSecret: string;
  stripe: { secretKey: string | undefined; webhookSecret: string; apiBase: string | undefined; publishableKey: string | undefined };
  /** Sandbox provider only: latency added after a charge is recorded (to exercise crashes mid-charge). */
  sandboxChargeDelayMs: number;
  priceBook: PriceBook;
  rules: BillingRules;
  notifications: NotificationSettings;
  portal: {
    /** The service's address as browsers reach it (behind a proxy); unset: the API's own URL. */
    publicUrl: string | undefined;
    sessionTtlMs: number;
    /** The CSP frame-ancestors of /portal: who may embed the page. */
    frameAncestors: string;
  };
  /** USAGE_CORRECTION_WINDOW_DAYS: how long after its occurredAt a usage event may be voided. */
  usageCorrectionWindowDays: number;
  /** Who receipts name as the seller. */
  receipts: { sellerName: string; sellerAddress: string };
}


function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = int(env, name, fallback);
  if (value === 0) throw new Error(`${name} must be a positive integer, got "${env[name]}"`);
  return value;
}

export function loadPriceBook(file: string): PriceBook {
  return JSON.parse(readFileSync(file, 'utf8')) as PriceBook;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const production = env.NODE_ENV === 'production';
  const authJwtSecret = env.AUTH_JWT_SECRET || (production ? '' : DEV_JWT_SECRET);
  if (!authJwtSecret) throw new Error('AUTH_JWT_SECRET must be set when NODE_ENV=production');
  // The sandbox's webhook secret is public (it is in this repository): never accept it in production.
  if ((production || env.STRIPE_SECRET_KEY) && !env.STRIPE_WEBHOOK_SECRET) {
    throw new Error('STRIPE_WEBHOOK_SECRET must be set with STRIPE_SECRET_KEY and when NODE_ENV=production');
  }
  const priceBook = loadPriceBook(env.PRICE_BOOK_PATH ?? path.join(PROJECT_ROOT, 'config', 'price-book.json'));
  return {
    production,
    host: env.HOST || '127.0.0.1',
    port: int(env, 'PORT', 3000),
    metricsToken: env.METRICS_TOKEN || undefined,
    databaseUrl: env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/credits_billing',
    databaseTimeouts: {
      statementMs: int(env, 'DATABASE_STATEMENT_TIMEOUT_MS', DEFAULT_DATABASE_TIMEOUTS.statementMs),
      lockMs: int(env, 'DATABASE_LOCK_TIMEOUT_MS', DEFAULT_DATABASE_TIMEOUTS.lockMs),
      poolWaitMs: int(env, 'DATABASE_POOL_WAIT_MS', DEFAULT_DATABASE_TIMEOUTS.poolWaitMs),
      usageLockMs: int(env, 'USAGE_LOCK_TIMEOUT_MS', DEFAULT_DATABASE_TIMEOUTS.usageLockMs),
    },
    crossingSweepIntervalMs: positiveInt(env, 'CROSSING_SWEEP_INTERVAL_MS', 2_000),
    cardExpirySweepIntervalMs: positiveInt(env, 'CARD_EXPIRY_SWEEP_INTERVAL_MS', 60 * 60 * 1000),
    grantExpirySweepIntervalMs: positiveInt(env, 'GRANT_EXPIRY_SWEEP_INTERVAL_MS', 60 * 1000),
    temporal: {
      address: env.TEMPORAL_ADDRESS || undefined,
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      taskQueue: env.TEMPORAL_TASK_QUEUE || 'billing',
      cliPath: env.TEMPORAL_CLI_PATH || undefined,
      devServerPort: int(env, 'TEMPORAL_DEV_SERVER_PORT', 7233),
      dataDir: env.DATA_DIR || path.join(PROJECT_ROOT, '.data'),
      livenessGraceMs: int(env, 'TEMPORAL_LIVENESS_GRACE_MS', 60_000),
      commandTimeoutMs: positiveInt(env, 'TEMPORAL_COMMAND_TIMEOUT_MS', 5_000),
      maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS ? int(env, 'WORKER_MAX_CACHED_WORKFLOWS', 0) : undefined,
    },
    authJwtSecret,
    stripe: {
      secretKey: env.STRIPE_SECRET_KEY || undefined,
      // The sandbox signs its own webhooks; with a Stripe key the real endpoint secret is required.
      webhookSecret: env.STRIPE_WEBHOOK_SECRET || (env.STRIPE_SECRET_KEY ? '' : SANDBOX_WEBHOOK_SECRET),
      apiBase: env.STRIPE_API_BASE || undefined,
      // The billing portal's Stripe.js needs it for 3-D Secure with Stripe.
      publishableKey: env.STRIPE_PUBLISHABLE_KEY || undefined,
    },
    sandboxChargeDelayMs: int(env, 'SANDBOX_CHARGE_DELAY_MS', 0),
    priceBook,
    rules: {
      creditPricePer1000Cents: priceBook.creditPricePer1000Cents,
      minTopUpCredits: priceBook.minTopUpCredits,
      allocationRates: { basic: priceBook.meters['call.basic'], premium: priceBook.meters['call.premium'] },
      retryDelayMs: int(env, 'AUTO_RECHARGE_RETRY_DELAY_MS', 60 * 60 * 1000),
      maxConsecutiveFailures: int(env, 'AUTO_RECHARGE_MAX_FAILURES', 3),
      paymentActionTimeoutMs: int(env, 'PAYMENT_ACTION_TIMEOUT_MS', 24 * 60 * 60 * 1000),
      paymentReconcileIntervalMs: int(env, 'PAYMENT_RECONCILE_INTERVAL_MS', 5 * 60 * 1000),
      continueAsNewAfterEvents: int(env, 'CONTINUE_AS_NEW_AFTER_EVENTS', 2000),
      continueAsNewAfterBytes: int(env, 'CONTINUE_AS_NEW_AFTER_BYTES', 4 * 1024 * 1024),
      // Unset: purchased credits go to the wallet and never expire (the rule before credit grants).
      ...(env.PURCHASED_CREDITS_EXPIRE_AFTER_DAYS ? { purchasedCreditsExpireAfterDays: positiveInt(env, 'PURCHASED_CREDITS_EXPIRE_AFTER_DAYS', 365) } : {}),
      // A provider call takes seconds: a worker dying mid-charge holds the payment this long at most
      // before the retry, which keeps the idempotency key.
      chargeTimeoutMs: int(env, 'CHARGE_TIMEOUT_MS', 10_000),
      recordsTimeoutMs: int(env, 'RECORDS_TIMEOUT_MS', 30_000),
    },
    notifications: loadNotificationSettings(env, production),
    portal: {
      publicUrl: env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, '') : undefined,
      sessionTtlMs: int(env, 'PORTAL_SESSION_TTL_MS', 60 * 60 * 1000),
      frameAncestors: env.PORTAL_FRAME_ANCESTORS || "'self'",
    },
    usageCorrectionWindowDays: positiveInt(env, 'USAGE_CORRECTION_WINDOW_DAYS', DEFAULT_USAGE_CORRECTION_WINDOW_DAYS),
    receipts: {
      sellerName: env.RECEIPT_SELLER_NAME || 'Credits billing',
      // Lines separated by "\n" in the variable, or by real newlines.
      sellerAddress: (env.RECEIPT_SELLER_ADDRESS ?? '').replace(/\\n/g, '\n'),
    },
  };
}

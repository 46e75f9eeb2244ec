// The organization workflow's activities, bound to their dependencies: each a thin adapter.
import type { Pool } from 'pg';
import type { NotificationSettings } from '../config/notificationSettings';
import type { BillingRules } from '../domain/billingRules';
import type { SubAccountCredit } from '../domain/orgBilling';
import { available } from '../domain/pools';
import { BURN_WINDOW_MS, burnBasis, burnRatePerDay } from '../domain/burnForecast';
import { readBalance } from '../store/balances';
import { readForecastSource } from '../store/ledger';
import { commitBilling, creditSubAccount, type BillingCommit } from '../store/commitBilling';
import { loadStoredBilling } from '../store/orgBilling';
import { findTopUp } from '../store/topUps';
import type { PaymentProvider } from '../payments/provider';
import { logger } from '../observability/logger';
import type { ReceiptLinks } from '../notifications/receiptLinks';
import { deliveryActivities } from './deliveries';
import { chargePayment, providerReceiptUrl, refundPayment, type ChargePaymentInput, type RefundPaymentInput } from './payments';
import { findPayment } from '../store/payments';

export interface ActivityDeps {
  db: Pool;
  payments: PaymentProvider;
  rules: BillingRules;
  notifications: NotificationSettings;
  /** Where receipt links in e-mail point (absent: e-mail carries none). */
  receiptLinks?: ReceiptLinks;
}

export function createActivities({ db, payments, rules, notifications, receiptLinks }: ActivityDeps) {
  return {
    ...deliveryActivities({ db, notifications, logger, receiptLinks }),
    async loadBillingRules(): Promise<BillingRules> {
      return rules;
    },
    commitBilling: (input: BillingCommit) => commitBilling(db, input),
    async readAvailableCredits(orgId: string): Promise<number> {
      const balance = await readBalance(db, orgId);
      if (!balance) throw new Error(`organization ${orgId} has no balance row`);
      return available(balance.pools);
    },
    creditSubAccount: (credit: SubAccountCredit) => creditSubAccount(db, credit),
    /** Credits a day over the trailing week (or since the first usage), as GET /forecast measures it. */
    async readBurnRateCreditsPerDay(orgId: string): Promise<number> {
      const now = Date.now();
      const source = await readForecastSource(db, orgId, now - BURN_WINDOW_MS, now);
      return source ? burnRatePerDay(source.usageCredits, burnBasis(now, source.firstUsageAt)) : 0;
    },
    findTopUp: (orgId: string, idempotencyKey: string) => findTopUp(db, orgId, idempotencyKey),
    loadStoredBilling: (orgId: string) => loadStoredBilling(db, orgId),
    chargePayment: (input: ChargePaymentInput) => chargePayment(payments, input),
    async retrievePayment(paymentIntentId: string) {
      const state = await payments.retrieve(paymentIntentId);
      return { ...state, ...(await providerReceiptUrl(payments, state)) };
    },
    refundPayment: (input: RefundPaymentInput) => refundPayment(payments, input),
    /** A payment's refundable figures, for the workflow's refund decision (undefined: no such payment). */
    async readPayment(orgId: string, paymentId: string) {
      const payment = await findPayment(db, orgId, paymentId);
      if (!payment) return undefined;
      const { refunds, ...rest } = payment;
      return { ...rest, refundCount: refunds.length };
    },
    cancelPayment: (paymentIntentId: string) => payments.cancel(paymentIntentId),
  };
}

export type BillingActivities = ReturnType<typeof createActivities>;

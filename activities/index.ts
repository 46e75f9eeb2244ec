// The organization workflow's activities, bound to their dependencies.
import type { Pool } from 'pg';
import type { BillingRules } from '../domain/billingRules';
import type { PaymentProvider } from '../payments/provider';
import { chargePayment, type ChargePaymentInput } from './payments';
import { appendRecords, type AppendRecordsInput } from './records';

export interface ActivityDeps {
  db: Pool;
  payments: PaymentProvider;
  rules: BillingRules;
}

export function createActivities({ db, payments, rules }: ActivityDeps) {
  return {
    async loadBillingRules(): Promise<BillingRules> {
      return rules;
    },
    appendRecords: (input: AppendRecordsInput) => appendRecords(db, input),
    chargePayment: (input: ChargePaymentInput) => chargePayment(payments, input),
    retrievePayment: (paymentIntentId: string) => payments.retrieve(paymentIntentId),
    cancelPayment: (paymentIntentId: string) => payments.cancel(paymentIntentId),
  };
}

export type BillingActivities = ReturnType<typeof createActivities>;

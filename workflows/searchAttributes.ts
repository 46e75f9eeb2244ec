// The search attributes of an organization's workflow: defined once, registered with the dev
// server and docker-compose's Temporal, upserted by the workflow, queried by operators.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const BILLING_AUTO_RECHARGE = defineSearchAttributeKey('BillingAutoRecharge', SearchAttributeType.KEYWORD);
export const BILLING_PAYMENT_STATUS = defineSearchAttributeKey('BillingPaymentStatus', SearchAttributeType.KEYWORD);
export const BILLING_AGENCY_ID = defineSearchAttributeKey('BillingAgencyId', SearchAttributeType.KEYWORD);

export const ORG_SEARCH_ATTRIBUTES = [BILLING_AUTO_RECHARGE, BILLING_PAYMENT_STATUS, BILLING_AGENCY_ID];

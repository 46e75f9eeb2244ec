-- Payments as the customer sees them (every charge, its card, its receipt), the refunds and the
-- dispute against each, and the ledger kinds that take credits back.

ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
  CHECK (kind IN ('usage', 'plan_renewal', 'top_up', 'auto_recharge', 'allocation', 'adjustment', 'refund', 'dispute', 'dispute_reversal'));

-- Written by the paying organization's workflow commits only (store/commitBilling.ts). `seq` orders
-- the list (newest first) and pages it. Refunded and disputed figures move only with their ledger
-- entries, in the same transaction.
CREATE TABLE payments (
  org_id                 text NOT NULL REFERENCES orgs (id),
  id                     text NOT NULL,
  seq                    bigint GENERATED ALWAYS AS IDENTITY,
  kind                   text NOT NULL CHECK (kind IN ('auto_recharge', 'top_up', 'allocation')),
  credits                bigint NOT NULL CHECK (credits > 0),
  amount_cents           bigint NOT NULL CHECK (amount_cents >= 0),
  price_per_1000_cents   bigint NOT NULL CHECK (price_per_1000_cents >= 0),
  currency               text NOT NULL DEFAULT 'usd',
  status                 text NOT NULL CHECK (status IN ('pending', 'requires_action', 'succeeded', 'failed')),
  payment_intent_id      text,
  card_brand             text,
  card_last4             text,
  -- An allocation's credits went to this sub-account: its refunds and disputes take them from there.
  sub_account_id         text,
  created_at             timestamptz NOT NULL,
  settled_at             timestamptz,
  failure_message        text,
  receipt_number         text,
  provider_receipt_url   text,
  refunded_cents         bigint NOT NULL DEFAULT 0,
  refunded_credits       bigint NOT NULL DEFAULT 0,
  dispute_id             text,
  dispute_status         text CHECK (dispute_status IN ('open', 'won', 'lost')),
  -- Credits the dispute took and has not given back.
  disputed_credits       bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, receipt_number),
  CHECK (refunded_cents <= amount_cents),
  CHECK (refunded_credits + disputed_credits <= credits)
);
CREATE INDEX payments_by_seq ON payments (org_id, seq DESC);
CREATE UNIQUE INDEX payments_by_intent ON payments (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

-- The last receipt number per organization, taken under the commit's lock on the balance row: no
-- gaps (a rolled-back commit rolls the counter back too), each number once.
CREATE TABLE receipt_counters (
  org_id       text PRIMARY KEY REFERENCES orgs (id),
  last_number  bigint NOT NULL
);

-- Each provider refund once, by its id, whoever reported it first (our refund call, or a webhook).
-- `version` is the commit that applied it: a retried commit answers what it did from here.
CREATE TABLE payment_refunds (
  org_id        text NOT NULL,
  refund_id     text NOT NULL,
  payment_id    text NOT NULL,
  amount_cents  bigint NOT NULL,
  credits       bigint NOT NULL,
  version       bigint NOT NULL,
  at            timestamptz NOT NULL,
  PRIMARY KEY (org_id, refund_id),
  FOREIGN KEY (org_id, payment_id) REFERENCES payments (org_id, id)
);

-- Dispute changes applied by a commit (opened, won, lost), so a retried commit answers what it did.
CREATE TABLE payment_dispute_changes (
  org_id      text NOT NULL,
  dispute_id  text NOT NULL,
  status      text NOT NULL CHECK (status IN ('open', 'won', 'lost')),
  payment_id  text NOT NULL,
  credits     bigint NOT NULL,
  version     bigint NOT NULL,
  PRIMARY KEY (org_id, dispute_id, status)
);

-- The sandbox provider's refunds and disputes (payments/sandbox.ts), as Stripe would hold them.
CREATE TABLE sandbox_refunds (
  id                 text PRIMARY KEY,
  idempotency_key    text NOT NULL UNIQUE,
  payment_intent_id  text NOT NULL REFERENCES sandbox_payment_intents (id),
  amount_cents       bigint NOT NULL CHECK (amount_cents > 0),
  metadata           jsonb NOT NULL DEFAULT '{}',
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_refunds_by_intent ON sandbox_refunds (payment_intent_id, created_at);

CREATE TABLE sandbox_disputes (
  id                 text PRIMARY KEY,
  payment_intent_id  text NOT NULL UNIQUE REFERENCES sandbox_payment_intents (id),
  amount_cents       bigint NOT NULL,
  status             text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);

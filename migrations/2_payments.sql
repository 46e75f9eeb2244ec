-- Stripe customers per organization, webhook events seen, and the subscription events applied.

CREATE TABLE stripe_customers (
  org_id       text PRIMARY KEY,
  customer_id  text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Each provider event id is processed once; redeliveries answer 200 without acting again.
CREATE TABLE webhook_events (
  id           text PRIMARY KEY,
  type         text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);

-- The newest subscription event applied per organization: older ones arriving late are ignored.
CREATE TABLE subscription_syncs (
  org_id         text PRIMARY KEY,
  event_created  bigint NOT NULL
);

ALTER TABLE sandbox_payment_intents ADD COLUMN payment_id text NOT NULL DEFAULT '';

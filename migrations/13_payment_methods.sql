-- The organization's saved cards, as the provider described them when each was saved. Which one is
-- the default stays in org_billing.payment_method_id (the workflow charges it); this table is what
-- GET …/payment-methods lists and what the card-expiry sweep reads. Details are NULL for a card
-- the provider could not describe.
CREATE TABLE payment_methods (
  org_id     text NOT NULL,
  id         text NOT NULL,
  brand      text,
  last4      text,
  exp_month  integer,
  exp_year   integer,
  added_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id)
);
-- The expiry sweep reads the cards expiring soon, not every card.
CREATE INDEX payment_methods_expiry ON payment_methods (exp_year, exp_month);

-- The sandbox provider's side of card collection: its checkout sessions (usable once, until they
-- expire) and the payment methods they saved, each standing for one of Stripe's test cards. The
-- number typed is never stored: only the test payment method it maps to.
CREATE TABLE sandbox_checkout_sessions (
  id                 text PRIMARY KEY,
  org_id             text NOT NULL,
  return_url         text NOT NULL,
  expires_at         timestamptz NOT NULL,
  completed_at       timestamptz,
  payment_method_id  text,
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sandbox_payment_methods (
  id                      text PRIMARY KEY,
  org_id                  text NOT NULL,
  test_payment_method_id  text NOT NULL,
  exp_month               integer NOT NULL,
  exp_year                integer NOT NULL,
  detached_at             timestamptz,
  created_at              timestamptz NOT NULL DEFAULT now()
);

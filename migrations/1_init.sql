-- Organizations, the append-only ledger, usage events, events, and the sandbox provider's intents.

CREATE TABLE orgs (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  parent_id   text REFERENCES orgs (id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orgs_parent_id ON orgs (parent_id);

-- One row per usage event ever applied; `seq` is the workflow's sequence number for it, so a
-- retried write recognises its own row and a redelivered event with a new seq is a duplicate.
CREATE TABLE usage_events (
  org_id       text NOT NULL,
  id           text NOT NULL,
  seq          bigint NOT NULL,
  agent_id     text NOT NULL,
  meter        text NOT NULL,
  quantity     bigint NOT NULL,
  credits      bigint NOT NULL,
  occurred_at  timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE ledger_entries (
  id       bigserial PRIMARY KEY,
  org_id   text NOT NULL,
  at       timestamptz NOT NULL,
  kind     text NOT NULL CHECK (kind IN ('usage', 'plan_renewal', 'top_up', 'auto_recharge', 'allocation', 'adjustment')),
  pool     text NOT NULL CHECK (pool IN ('plan', 'top_up')),
  credits  bigint NOT NULL,
  ref      text NOT NULL,
  UNIQUE (org_id, pool, ref)
);
CREATE INDEX ledger_entries_org_id ON ledger_entries (org_id, id);

CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entries is append-only';
END;
$$;
CREATE TRIGGER ledger_entries_append_only
  BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();

CREATE TABLE events (
  org_id   text NOT NULL,
  seq      bigint NOT NULL,
  type     text NOT NULL,
  at       timestamptz NOT NULL,
  message  text NOT NULL,
  data     jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (org_id, seq)
);

CREATE TABLE sandbox_payment_intents (
  id                 text PRIMARY KEY,
  idempotency_key    text NOT NULL UNIQUE,
  org_id             text NOT NULL,
  amount_cents       bigint NOT NULL,
  payment_method_id  text NOT NULL,
  status             text NOT NULL,
  client_secret      text NOT NULL,
  decline_code       text,
  message            text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

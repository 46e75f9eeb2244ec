-- Balances, agent spend, the workflow's billing record and top-ups live in PostgreSQL: a usage
-- request is one transaction (record_usage), and every pool change commits with its ledger entry.

-- Refs are scoped by kind: a client's usage id can never suppress a payment's or a renewal's entry.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_org_id_pool_ref_key;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_org_kind_pool_ref UNIQUE (org_id, kind, pool, ref);

-- Usage recorded by the new path carries no workflow sequence number.
ALTER TABLE usage_events ALTER COLUMN seq SET DEFAULT 0;

-- One row per organization: the pools and what a debit needs to know to signal the workflow.
-- Every change of plan_remaining or top_up commits together with its ledger entries.
CREATE TABLE balances (
  org_id                 text PRIMARY KEY REFERENCES orgs (id),
  plan_remaining         bigint NOT NULL DEFAULT 0,
  top_up                 bigint NOT NULL DEFAULT 0,
  -- Counts billing periods; agent spend is kept per period, so a renewal resets it.
  period                 bigint NOT NULL DEFAULT 0,
  threshold_credits      bigint NOT NULL DEFAULT 0,
  auto_recharge_enabled  boolean NOT NULL DEFAULT false,
  subscription_active    boolean NOT NULL DEFAULT false,
  -- balance.low was sent for the present stay below the threshold (re-armed once back above).
  low_notified           boolean NOT NULL DEFAULT false,
  -- A debit crossed the threshold and the workflow has not been told yet (the outbox of that signal).
  signal_pending         boolean NOT NULL DEFAULT false,
  -- Each crossing that marks the signal pending gets the next generation: the API clears the flag
  -- only for the generation it signalled, so clearing one crossing's signal never erases a later one's.
  signal_gen             bigint NOT NULL DEFAULT 0,
  -- The last event seq of the organization: events are numbered under this row's lock.
  event_seq              bigint NOT NULL DEFAULT 0,
  updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX balances_signal_pending ON balances (org_id) WHERE signal_pending;

-- What the organization's workflow owns, as of its last commit: written by it alone, read by the API.
CREATE TABLE org_billing (
  org_id             text PRIMARY KEY REFERENCES orgs (id),
  -- Grows with every commit of the workflow: a retried commit that already applied changes nothing.
  version            bigint NOT NULL DEFAULT 0,
  subscription       jsonb,
  payment_method_id  text,
  auto_recharge      jsonb NOT NULL,
  counters           jsonb NOT NULL,
  pending_payment    jsonb,
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agent_settings (
  org_id                 text NOT NULL,
  agent_id               text NOT NULL,
  monthly_limit_credits  bigint,
  when_plan_exhausted    text NOT NULL CHECK (when_plan_exhausted IN ('stop', 'use_balance')),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, agent_id)
);

CREATE TABLE agent_spend (
  org_id    text NOT NULL,
  agent_id  text NOT NULL,
  period    bigint NOT NULL,
  spent     bigint NOT NULL,
  PRIMARY KEY (org_id, period, agent_id)
);

-- Manual top-ups by Idempotency-Key, forever: a key always answers with its own top-up.
CREATE TABLE top_ups (
  org_id           text NOT NULL,
  idempotency_key  text NOT NULL,
  payment_id       text NOT NULL,
  credits          bigint NOT NULL,
  amount_cents     bigint NOT NULL,
  status           text NOT NULL,
  client_secret    text,
  decline_code     text,
  message          text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, idempotency_key)
);

-- Events written on another organization's behalf (an agency's allocation notice) are keyed, so a retry adds none.
ALTER TABLE events ADD COLUMN key text;
CREATE UNIQUE INDEX events_org_key ON events (org_id, key) WHERE key IS NOT NULL;

-- One usage request, in one transaction: insert the events (deduplicated by id), their ledger
-- entries (plan first, then the wallet, which may go negative), the agents' spend of the period
-- and the new balance. A debit that leaves available below the threshold for the first time
-- writes balance.low and, with auto-recharge on, marks the workflow's signal as pending (and returns
-- its generation).
CREATE FUNCTION record_usage(
  p_org text, p_ids text[], p_agents text[], p_meters text[], p_quantities bigint[], p_credits bigint[], p_occurred timestamptz[]
) RETURNS TABLE (recorded integer, available_after bigint, crossed_by text, signal_workflow boolean, signal_generation bigint)
LANGUAGE plpgsql AS $$
DECLARE
  b balances%ROWTYPE;
  n integer;
  plan_total bigint;
  credit_total bigint;
  first_below text;
  after_credits bigint;
  low boolean;
BEGIN
  SELECT * INTO b FROM balances WHERE balances.org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'organization % has no balance row', p_org USING ERRCODE = 'BL001';
  END IF;

  WITH input AS (
    SELECT DISTINCT ON (t.id) t.* FROM unnest(p_ids, p_agents, p_meters, p_quantities, p_credits, p_occurred)
      WITH ORDINALITY AS t(id, agent_id, meter, quantity, credits, occurred_at, ord)
    ORDER BY t.id, t.ord
  ), inserted AS (
    INSERT INTO usage_events (org_id, id, agent_id, meter, quantity, credits, occurred_at, recorded_at)
    SELECT p_org, i.id, i.agent_id, i.meter, i.quantity, i.credits, i.occurred_at, now() FROM input i
    ON CONFLICT (org_id, id) DO NOTHING
    RETURNING usage_events.id
  ), applied AS (
    SELECT i.id, i.agent_id, i.credits, SUM(i.credits) OVER (ORDER BY i.ord) AS cum
    FROM input i JOIN inserted ON inserted.id = i.id
  ), split AS (
    SELECT a.id, a.agent_id, a.credits, a.cum,
           LEAST(a.credits, GREATEST(GREATEST(b.plan_remaining, 0) - (a.cum - a.credits), 0)) AS plan
    FROM applied a
  ), ledger AS (
    INSERT INTO ledger_entries (org_id, at, kind, pool, credits, ref)
    SELECT p_org, now(), 'usage', e.pool, e.credits, e.ref FROM (
      SELECT 'plan' AS pool, -s.plan AS credits, s.id AS ref, s.cum FROM split s WHERE s.plan > 0
      UNION ALL
      SELECT 'top_up', -(s.credits - s.plan), s.id, s.cum FROM split s WHERE s.credits > s.plan
    ) e ORDER BY e.cum, e.pool
  ), spend AS (
    INSERT INTO agent_spend (org_id, period, agent_id, spent)
    SELECT p_org, b.period, s.agent_id, SUM(s.credits) FROM split s GROUP BY s.agent_id
    ON CONFLICT (org_id, period, agent_id) DO UPDATE SET spent = agent_spend.spent + EXCLUDED.spent
  )
  SELECT count(*)::integer, COALESCE(SUM(s.plan), 0), COALESCE(SUM(s.credits), 0),
         (SELECT s2.id FROM split s2 WHERE b.plan_remaining + b.top_up - s2.cum < b.threshold_credits ORDER BY s2.cum LIMIT 1)
    INTO n, plan_total, credit_total, first_below
  FROM split s;

  after_credits := b.plan_remaining + b.top_up - credit_total;
  IF n = 0 THEN
    RETURN QUERY SELECT 0, after_credits, NULL::text, false, b.signal_gen;
    RETURN;
  END IF;

  low := after_credits < b.threshold_credits AND NOT b.low_notified;
  IF low THEN
    INSERT INTO events (org_id, seq, type, at, message, data)
    VALUES (p_org, b.event_seq + 1, 'balance.low', now(),
            format('Available credits (%s) fell below %s.', after_credits, b.threshold_credits),
            jsonb_build_object('availableCredits', after_credits, 'thresholdCredits', b.threshold_credits));
  END IF;

  UPDATE balances SET
    plan_remaining = b.plan_remaining - plan_total,
    top_up = b.top_up - (credit_total - plan_total),
    low_notified = b.low_notified OR low,
    event_seq = b.event_seq + CASE WHEN low THEN 1 ELSE 0 END,
    signal_pending = b.signal_pending OR (low AND b.auto_recharge_enabled),
    signal_gen = b.signal_gen + CASE WHEN low AND b.auto_recharge_enabled THEN 1 ELSE 0 END,
    updated_at = now()
  WHERE balances.org_id = p_org;

  RETURN QUERY SELECT n, after_credits, CASE WHEN low THEN first_below END, low AND b.auto_recharge_enabled,
    b.signal_gen + CASE WHEN low AND b.auto_recharge_enabled THEN 1 ELSE 0 END;
END;
$$;

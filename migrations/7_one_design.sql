-- One design: what only the previous workflow design used goes, the wallet has one name, and the
-- balance.low crossing has one owner that record_usage and the workflow's commit both call.

-- The previous design's allowance cache and the workflow sequence number it gave usage events.
DROP TABLE allowance_views;
ALTER TABLE usage_events DROP COLUMN seq;

-- The pool that top-ups, auto-recharges and allocations fill is the wallet, in storage as in code.
-- (Ledger kinds keep their names: `top_up` is a manual top-up.)
ALTER TABLE balances RENAME COLUMN top_up TO wallet;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pool_check;
ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only;
UPDATE ledger_entries SET pool = 'wallet' WHERE pool = 'top_up';
ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_pool_check CHECK (pool IN ('plan', 'wallet'));

-- The crossing rule, the one place it is written: balance.low when available credits are below the
-- threshold for the first time since they were last at or above it. Writes the event (numbered
-- after p_event_seq, under the caller's lock on the balance row) and returns the flag to store
-- (below: the notice re-arms once back at or above) and the event seq after it.
CREATE FUNCTION note_balance_low(
  p_org text, p_available bigint, p_threshold bigint, p_low_notified boolean, p_event_seq bigint, p_at timestamptz
) RETURNS TABLE (low_notified boolean, event_seq bigint, crossed boolean)
LANGUAGE plpgsql AS $$
DECLARE
  below boolean := p_available < p_threshold;
  crossing boolean := p_available < p_threshold AND NOT p_low_notified;
BEGIN
  IF crossing THEN
    INSERT INTO events (org_id, seq, type, at, message, data)
    VALUES (p_org, p_event_seq + 1, 'balance.low', p_at,
            format('Available credits (%s) fell below %s.', p_available, p_threshold),
            jsonb_build_object('availableCredits', p_available, 'thresholdCredits', p_threshold));
  END IF;
  RETURN QUERY SELECT below, p_event_seq + CASE WHEN crossing THEN 1 ELSE 0 END, crossing;
END;
$$;

-- record_usage as in migration 4, with the wallet's name, the crossing through note_balance_low,
-- and an agent at or over its monthly limit spending the wallet only (spec §6): the debit draws the
-- line the allowance check draws (domain/agents.ts). Each event's plan part is bounded by its
-- agent's headroom: the agent's monthly_limit_credits less its spend this period before the event
-- (earlier events of the batch included). An event that crosses the limit takes the part up to it
-- from the plan and the rest from the wallet, as an event that uses up the plan does. Usage that
-- happened is always recorded; the wallet may go negative. domain/pools.ts splitDebit mirrors the
-- split (test/store/debitSplit.test.ts).
CREATE OR REPLACE FUNCTION record_usage(
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
  low record;
  signal boolean;
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
    SELECT i.id, i.agent_id, i.credits, i.ord, SUM(i.credits) OVER (ORDER BY i.ord) AS cum
    FROM input i JOIN inserted ON inserted.id = i.id
  ), limited AS (
    -- The batch's agents that have a limit, and what they may still take from the plan before the batch.
    SELECT s.agent_id, s.monthly_limit_credits - COALESCE(sp.spent, 0) AS headroom
    FROM (SELECT DISTINCT a.agent_id FROM applied a) batch_agents
    JOIN agent_settings s ON s.org_id = p_org AND s.agent_id = batch_agents.agent_id AND s.monthly_limit_credits IS NOT NULL
    LEFT JOIN agent_spend sp ON sp.org_id = p_org AND sp.period = b.period AND sp.agent_id = s.agent_id
  ), eligible AS (
    -- What each event may take from the plan as far as its agent goes (an agent without a limit: all of it).
    SELECT a.id, a.agent_id, a.credits, a.ord, a.cum,
           CASE WHEN l.agent_id IS NULL THEN a.credits
                ELSE LEAST(a.credits, GREATEST(l.headroom - (SUM(a.credits) OVER (PARTITION BY a.agent_id ORDER BY a.ord) - a.credits), 0))
           END AS eligible
    FROM applied a LEFT JOIN limited l ON l.agent_id = a.agent_id
  ), split AS (
    -- Plan credits go to the events in order, each taking what it is eligible for while they last.
    SELECT e.id, e.agent_id, e.credits, e.cum,
           LEAST(e.eligible, GREATEST(GREATEST(b.plan_remaining, 0) - (SUM(e.eligible) OVER (ORDER BY e.ord) - e.eligible), 0)) AS plan
    FROM eligible e
  ), ledger AS (
    INSERT INTO ledger_entries (org_id, at, kind, pool, credits, ref)
    SELECT p_org, now(), 'usage', e.pool, e.credits, e.ref FROM (
      SELECT 'plan' AS pool, -s.plan AS credits, s.id AS ref, s.cum FROM split s WHERE s.plan > 0
      UNION ALL
      SELECT 'wallet', -(s.credits - s.plan), s.id, s.cum FROM split s WHERE s.credits > s.plan
    ) e ORDER BY e.cum, e.pool
  ), spend AS (
    INSERT INTO agent_spend (org_id, period, agent_id, spent)
    SELECT p_org, b.period, s.agent_id, SUM(s.credits) FROM split s GROUP BY s.agent_id
    ON CONFLICT (org_id, period, agent_id) DO UPDATE SET spent = agent_spend.spent + EXCLUDED.spent
  )
  SELECT count(*)::integer, COALESCE(SUM(s.plan), 0), COALESCE(SUM(s.credits), 0),
         (SELECT s2.id FROM split s2 WHERE b.plan_remaining + b.wallet - s2.cum < b.threshold_credits ORDER BY s2.cum LIMIT 1)
    INTO n, plan_total, credit_total, first_below
  FROM split s;

  after_credits := b.plan_remaining + b.wallet - credit_total;
  IF n = 0 THEN
    RETURN QUERY SELECT 0, after_credits, NULL::text, false, b.signal_gen;
    RETURN;
  END IF;

  SELECT * INTO low FROM note_balance_low(p_org, after_credits, b.threshold_credits, b.low_notified, b.event_seq, now());
  signal := low.crossed AND b.auto_recharge_enabled;

  UPDATE balances SET
    plan_remaining = b.plan_remaining - plan_total,
    wallet = b.wallet - (credit_total - plan_total),
    low_notified = low.low_notified,
    event_seq = low.event_seq,
    signal_pending = b.signal_pending OR signal,
    signal_gen = b.signal_gen + CASE WHEN signal THEN 1 ELSE 0 END,
    updated_at = now()
  WHERE balances.org_id = p_org;

  RETURN QUERY SELECT n, after_credits, CASE WHEN low.crossed THEN first_below END, signal,
    b.signal_gen + CASE WHEN signal THEN 1 ELSE 0 END;
END;
$$;
